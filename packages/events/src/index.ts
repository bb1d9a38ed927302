// Events: the typed catalogue, the bus interface with its in-process and NATS JetStream transports,
// the outbox and its relay, and exactly-once handling for consumers.
export * from './catalogue.ts';
export * from './bus.ts';
export * from './outbox.ts';
export { yieldToEventLoop } from './yield.ts';
export { connectNatsBus, NatsJetStreamBus, type NatsBusOptions, type BusLogger } from './nats-bus.ts';
export { createEventBus, type EventBusConfig } from './bus-factory.ts';
export { processedEventsMigration, handleOnce, pruneProcessedEvents } from './processed.ts';
export { parseDomainEvent, MalformedEventError } from './validate.ts';
