// Image-pulled events, sampled, coalesced and batched: identical pulls within a flush window (about a
// second) become one event with a count, written to the outbox in bounded transactions, so a pull never
// costs its own database write and a hot tag costs one row per client per window, not one per pull.
import type { Kysely } from '@docksphere/db';
import { newEvent, type Actor, type DomainEvent, type EventPayloads } from '@docksphere/events';
import type { Logger } from '@docksphere/kit';
import { writeEvents } from '../store/registry-store.ts';

/** Distinct pull groups held per window; pulls that would start another group are dropped (and logged). */
const MAX_BUFFERED = 10_000;
/**
 * Events per outbox transaction. An embedded database runs each statement on this thread: one
 * statement for a whole busy second's pulls (thousands of rows) blocked every request for over a
 * second, so a flush writes bounded batches and lets requests in between them.
 */
const FLUSH_BATCH = 250;

/** What the manifest route reports for one pull; the buffer adds count, firstAt and lastAt. */
export type PullRecord = Omit<EventPayloads['registry.image.pulled'], 'count' | 'firstAt' | 'lastAt'>;

interface PullGroup {
  actor: Actor;
  payload: PullRecord;
  count: number;
  firstAt: number;
  lastAt: number;
}

export interface PullEventsDeps {
  db: Kysely<any>;
  logger: Logger;
  sampleRate: number;
  flushIntervalMs?: number;
  onEventsWritten?: (() => void) | undefined;
  /** Distinct pull groups held per window (default 10,000); tests lower it. */
  maxBuffered?: number;
}

export class PullEvents {
  #groups = new Map<string, PullGroup>();
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PullEventsDeps) {}

  record(actor: Actor, payload: PullRecord): void {
    const rate = this.deps.sampleRate;
    if (rate <= 0 || (rate < 1 && Math.random() >= rate)) return;
    const now = Date.now();
    // The group key is everything a consumer tells pulls apart by (the audit trail shows IP and user agent).
    const key = JSON.stringify([payload.repository, payload.digest, payload.reference, actor.subject, actor.ip ?? null, actor.userAgent ?? null]);
    const group = this.#groups.get(key);
    if (group) {
      group.count++;
      group.lastAt = now;
    } else if (this.#groups.size >= (this.deps.maxBuffered ?? MAX_BUFFERED)) {
      this.#dropped++;
      return;
    } else {
      this.#groups.set(key, { actor, payload, count: 1, firstAt: now, lastAt: now });
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.deps.flushIntervalMs ?? 1000);
  }

  /** Writes what is buffered; resolves when written (or logged as lost). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      const pending = [...this.#groups.values()].map(toEvent);
      this.#groups = new Map();
      if (this.#dropped > 0) {
        this.deps.logger.warn({ dropped: this.#dropped, groups: pending.length }, 'pulls not recorded: pull event buffer full');
        this.#dropped = 0;
      }
      for (let i = 0; i < pending.length; i += FLUSH_BATCH) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = pending.slice(i, i + FLUSH_BATCH);
        try {
          await this.deps.db.transaction().execute((trx) => writeEvents(trx, batch));
          this.deps.onEventsWritten?.();
        } catch (err) {
          this.deps.logger.error({ err, count: batch.length }, 'writing pull events failed');
        }
      }
    });
    return this.#flushing;
  }
}

function toEvent(group: PullGroup): DomainEvent<'registry.image.pulled'> {
  const firstAt = new Date(group.firstAt).toISOString();
  const lastAt = new Date(group.lastAt).toISOString();
  const event = newEvent('registry.image.pulled', group.actor, { ...group.payload, count: group.count, firstAt, lastAt });
  // The event stands for pulls up to lastAt; consumers date "last pulled" by occurredAt.
  return { ...event, occurredAt: lastAt };
}
