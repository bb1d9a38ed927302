// The EventBus on NATS JetStream: one file-backed stream capturing ds.>, publishes de-duplicated by
// event id, durable pull consumers with explicit acks, bounded redelivery and a client that reconnects forever.
import {
  AckPolicy,
  ConsumerEvents,
  DeliverPolicy,
  DiscardPolicy,
  Events,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import type { EventBus, EventHandler, Subscription } from './bus.ts';
import type { DomainEvent } from './catalogue.ts';
import { parseDomainEvent } from './validate.ts';

/** The subset of a pino logger the bus writes to. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NatsBusOptions {
  /** nats://host:port, or several (comma-separated string or list) for a cluster. */
  servers: string | readonly string[];
  /** The JetStream stream holding every DockSphere event. */
  stream?: string;
  logger?: BusLogger;
  /** How long publish() waits for JetStream's ack before failing (the relay then backs off). */
  publishTimeoutMs?: number;
  /** A re-publish of the same event id within this window is dropped by JetStream. */
  duplicateWindowMs?: number;
  /** How long the stream keeps events (consumers that were away longer miss the older ones). */
  maxAgeMs?: number;
  /** Deliveries of one event to one consumer before it is given up (terminated and logged). */
  maxDeliver?: number;
  /** Delay before redelivery after the n-th handler failure (last value repeats). */
  retryDelaysMs?: readonly number[];
  /** Redelivery timeout for a delivery nobody acked (consumer crashed); a running handler extends it. */
  ackWaitMs?: number;
  /** Connection name shown in NATS monitoring. */
  name?: string;
}

const SUBJECT_PREFIX = 'ds.';
const DEFAULTS = {
  stream: 'DOCKSPHERE',
  publishTimeoutMs: 5_000,
  duplicateWindowMs: 2 * 60_000,
  maxAgeMs: 7 * 24 * 3600_000,
  maxDeliver: 10,
  retryDelaysMs: [1_000, 5_000, 30_000, 120_000, 600_000],
  ackWaitMs: 30_000,
} as const;
/** Events are small JSON documents; anything larger is refused before it reaches NATS. */
const MAX_EVENT_BYTES = 256 * 1024;

const processWarningLogger: BusLogger = {
  info() {},
  warn: (obj, msg) => process.emitWarning(`${msg} ${JSON.stringify(obj)}`),
  error: (obj, msg) => process.emitWarning(`${msg} ${JSON.stringify(obj)}`),
};

/** Connects (waiting for the server if it is not up yet), ensures the stream, and returns the bus. */
export async function connectNatsBus(options: NatsBusOptions): Promise<NatsJetStreamBus> {
  const servers = typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()).filter(Boolean) : [...options.servers];
  if (servers.length === 0) throw new Error('connectNatsBus: no NATS server given');
  const nc = await connect({
    servers,
    name: options.name ?? 'docksphere',
    // Reconnect forever: the outbox keeps events safe meanwhile, and consumers resume where they were.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
  });
  const bus = new NatsJetStreamBus(nc, await nc.jetstreamManager(), options);
  try {
    await bus.ensureStream();
  } catch (err) {
    await nc.close();
    throw err;
  }
  return bus;
}

export class NatsJetStreamBus implements EventBus {
  readonly stream: string;
  private readonly js: JetStreamClient;
  private readonly log: BusLogger;
  private readonly subscriptions = new Set<NatsSubscription>();
  private readonly settings: Required<Omit<NatsBusOptions, 'servers' | 'logger' | 'name' | 'stream'>>;
  private closed = false;
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    options: Omit<NatsBusOptions, 'servers'>,
  ) {
    this.stream = options.stream ?? DEFAULTS.stream;
    this.js = nc.jetstream();
    this.log = options.logger ?? processWarningLogger;
    this.settings = {
      publishTimeoutMs: options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs,
      duplicateWindowMs: options.duplicateWindowMs ?? DEFAULTS.duplicateWindowMs,
      maxAgeMs: options.maxAgeMs ?? DEFAULTS.maxAgeMs,
      maxDeliver: options.maxDeliver ?? DEFAULTS.maxDeliver,
      retryDelaysMs: options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULTS.retryDelaysMs,
      ackWaitMs: options.ackWaitMs ?? DEFAULTS.ackWaitMs,
    };
    if (this.settings.maxDeliver < 1) throw new Error('maxDeliver must be at least 1');
    this.watchConnection().catch(() => {});
  }

  /** Creates the stream, or brings an existing one to the configuration DockSphere needs. */
  async ensureStream(): Promise<void> {
    const wanted: Partial<StreamConfig> = {
      name: this.stream,
      subjects: [`${SUBJECT_PREFIX}>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(this.settings.duplicateWindowMs),
      max_age: nanos(this.settings.maxAgeMs),
      max_msg_size: MAX_EVENT_BYTES,
    };
    let existing: StreamConfig | undefined;
    try {
      existing = (await this.jsm.streams.info(this.stream)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      await this.jsm.streams.add(wanted);
      this.log.info({ stream: this.stream }, 'created JetStream stream');
      return;
    }
    // Storage type cannot change on a live stream; everything else is brought in line.
    const { storage: _storage, ...updatable } = wanted;
    if (existing.storage !== StorageType.File) this.log.warn({ stream: this.stream, storage: existing.storage }, 'stream is not file-backed; events do not survive a NATS restart');
    const drifted = (Object.keys(updatable) as (keyof typeof updatable)[]).some((k) => JSON.stringify(existing[k]) !== JSON.stringify(updatable[k]));
    if (drifted) await this.jsm.streams.update(this.stream, updatable);
  }

  /** Resolves once JetStream has stored the event (or recognised it as a duplicate of one it stored). */
  async publish(event: DomainEvent): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    // Fail fast while disconnected: a request written then is not answered after the reconnect,
    // so it would only wait out the whole timeout. The caller (the relay) retries later.
    if (!this.connected) throw new Error(`NATS is disconnected; event ${event.id} not published`);
    const data = new TextEncoder().encode(JSON.stringify(event));
    if (data.byteLength > MAX_EVENT_BYTES) throw new Error(`event ${event.id} (${event.type}) is ${data.byteLength} bytes, over the ${MAX_EVENT_BYTES} limit`);
    await this.js.publish(`${SUBJECT_PREFIX}${event.type}`, data, { msgID: event.id, timeout: this.settings.publishTimeoutMs });
  }

  async subscribe(pattern: string, durable: string, handler: EventHandler): Promise<Subscription> {
    if (this.closed) throw new Error('event bus is closed');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(durable)) throw new Error(`invalid durable consumer name "${durable}" (letters, digits, _ and - only)`);
    if (!/^([a-z0-9_-]+|\*)(\.([a-z0-9_-]+|\*))*(\.>)?$|^>$/.test(pattern)) throw new Error(`invalid event pattern "${pattern}"`);
    const subscription = new NatsSubscription(this, pattern, durable, handler);
    await subscription.start();
    this.subscriptions.add(subscription);
    subscription.onClosed = () => this.subscriptions.delete(subscription);
    return subscription;
  }

  /** Stops every subscription (their in-flight handlers finish and are acked) and drains the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** @internal Consumer configuration for one subscription. */
  consumerConfig(pattern: string, durable: string): Partial<ConsumerConfig> {
    const { maxDeliver, ackWaitMs } = this.settings;
    // The retry back-off is applied by the subscriber as a nak delay (retryDelaysMs), not as the
    // consumer's server-side `backoff`: nats-server 2.9 lets `backoff` override explicit nak delays.
    // ack_wait only brings back deliveries nobody answered (a crashed consumer).
    return {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${SUBJECT_PREFIX}${pattern}`,
      max_deliver: maxDeliver,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: 256,
    };
  }

  /** @internal Creates or updates the durable consumer; idempotent. */
  async ensureConsumer(pattern: string, durable: string): Promise<void> {
    const config = this.consumerConfig(pattern, durable);
    try {
      const info = await this.jsm.consumers.info(this.stream, durable);
      if (info.config.filter_subject !== config.filter_subject) {
        throw new Error(`consumer ${durable} already exists for ${info.config.filter_subject}, not ${config.filter_subject}: use another durable name`);
      }
      const { durable_name: _d, deliver_policy: _p, filter_subject: _f, ...updatable } = config;
      const drifted = (Object.keys(updatable) as (keyof typeof updatable)[]).some((k) => JSON.stringify(info.config[k]) !== JSON.stringify(updatable[k]));
      if (drifted) await this.jsm.consumers.update(this.stream, durable, updatable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(this.stream, config);
    }
  }

  /** @internal */
  get internals(): { js: JetStreamClient; log: BusLogger; maxDeliver: number; retryDelaysMs: readonly number[]; ackWaitMs: number } {
    return { js: this.js, log: this.log, maxDeliver: this.settings.maxDeliver, retryDelaysMs: this.settings.retryDelaysMs, ackWaitMs: this.settings.ackWaitMs };
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === Events.Disconnect) {
        this.connected = false;
        this.log.warn({ server: status.data }, 'NATS connection lost; reconnecting');
      } else if (status.type === Events.Reconnect) {
        this.connected = true;
        this.log.info({ server: status.data }, 'NATS connection restored');
        // A server that lost its store (a fresh NATS) needs the stream again before publishes land.
        this.ensureStream().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'could not ensure the JetStream stream after reconnect'));
      } else if (status.type === Events.Error) this.log.error({ err: String(status.data) }, 'NATS error');
    }
  }
}

/** One durable consumer feeding one handler, one event at a time (so a consumer sees events in stream order). */
class NatsSubscription implements Subscription {
  onClosed: (() => void) | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private closing = false;
  private readonly log: BusLogger;

  constructor(
    private readonly bus: NatsJetStreamBus,
    private readonly pattern: string,
    private readonly durable: string,
    private readonly handler: EventHandler,
  ) {
    this.log = bus.internals.log;
  }

  async start(): Promise<void> {
    await this.bus.ensureConsumer(this.pattern, this.durable);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const { js } = this.bus.internals;
    while (!this.closing) {
      try {
        const consumer = await js.consumers.get(this.bus.stream, this.durable);
        // A small prefetch: events fetched but not handled when the subscription closes are handed back.
        const messages = await consumer.consume({ max_messages: 16 });
        this.messages = messages;
        this.watch(messages).catch(() => {});
        for await (const msg of messages) {
          if (this.closing) msg.nak();
          else await this.deliver(msg);
        }
      } catch (err) {
        if (this.closing) break;
        this.log.warn({ durable: this.durable, err: errorMessage(err) }, 'event consumer interrupted; retrying');
      }
      if (!this.closing) await sleep(1_000);
    }
  }

  /** Recreates the stream and consumer when the server lost them (e.g. a NATS with a fresh store). */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of await messages.status()) {
      if (this.closing) return;
      if (status.type === ConsumerEvents.ConsumerNotFound || status.type === ConsumerEvents.StreamNotFound || status.type === ConsumerEvents.ConsumerDeleted) {
        this.log.warn({ durable: this.durable, status: status.type }, 'event consumer missing on the server; recreating it');
        try {
          await this.bus.ensureStream();
          await this.bus.ensureConsumer(this.pattern, this.durable);
        } catch (err) {
          this.log.warn({ durable: this.durable, err: errorMessage(err) }, 'could not recreate the event consumer yet');
        }
      }
    }
  }

  private async deliver(msg: JsMsg): Promise<void> {
    const { maxDeliver, retryDelaysMs, ackWaitMs } = this.bus.internals;
    const where = { durable: this.durable, subject: msg.subject, streamSeq: msg.seq, delivery: msg.info.deliveryCount };
    let event: DomainEvent;
    try {
      event = parseDomainEvent(msg.json<unknown>());
      if (`${SUBJECT_PREFIX}${event.type}` !== msg.subject) throw new Error(`type ${event.type} does not match subject ${msg.subject}`);
    } catch (err) {
      // A message no handler could ever accept: drop it for good instead of redelivering it forever.
      this.log.error({ ...where, err: errorMessage(err) }, 'malformed event message terminated');
      // No reason text: nats-server 2.9 does not parse "+TERM <reason>" and would leave it pending.
      msg.term();
      return;
    }
    // Tell the server the handler is still at it, so a slow handler is not redelivered concurrently.
    const keepAlive = setInterval(() => msg.working(), Math.max(500, Math.floor(ackWaitMs / 2)));
    try {
      await this.handler(event);
      clearInterval(keepAlive);
      await msg.ackAck().catch((err: unknown) => {
        // The ack may be lost on a disconnect: the event comes back and the handler must be idempotent.
        this.log.warn({ ...where, eventId: event.id, err: errorMessage(err) }, 'ack not confirmed; event may be redelivered');
      });
    } catch (err) {
      clearInterval(keepAlive);
      const attempt = msg.info.deliveryCount; // 1 on the first delivery
      if (attempt >= maxDeliver) {
        this.log.error({ ...where, eventId: event.id, type: event.type, err: errorMessage(err) }, 'event handler failed on the last delivery; giving up on this event');
        msg.term();
        return;
      }
      const delay = retryDelaysMs[Math.min(attempt - 1, retryDelaysMs.length - 1)] ?? 1_000;
      this.log.warn({ ...where, eventId: event.id, type: event.type, retryInMs: delay, err: errorMessage(err) }, 'event handler failed; will redeliver');
      msg.nak(delay);
    }
  }

  /** Stops fetching; an event being handled finishes and is acked first. Unacked prefetched events are redelivered. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.messages?.stop();
    await this.loop;
    this.onClosed?.();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string | number; api_error?: { code?: number; err_code?: number } };
  return e?.api_error?.code === 404 || e?.code === '404' || e?.code === 404 || /not found/i.test(errorMessage(err));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
