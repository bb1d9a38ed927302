// Events: the typed catalogue, the bus interface with its in-process implementation, the outbox.
export * from './catalogue.ts';
export * from './bus.ts';
export * from './outbox.ts';
