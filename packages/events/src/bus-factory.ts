// Chooses the event transport from config: NATS JetStream when NATS_URL is set, the in-process bus otherwise.
import { InMemoryBus, type EventBus } from './bus.ts';
import { connectNatsBus, type BusLogger, type NatsBusOptions } from './nats-bus.ts';

/** The part of @docksphere/kit's EventsConfig the factory reads. */
export interface EventBusConfig {
  natsUrl: string | undefined;
}

export async function createEventBus(
  config: EventBusConfig,
  options: { logger?: BusLogger } & Omit<NatsBusOptions, 'servers' | 'logger'> = {},
): Promise<EventBus> {
  if (!config.natsUrl) return new InMemoryBus();
  return connectNatsBus({ ...options, servers: config.natsUrl });
}
