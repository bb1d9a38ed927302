// Image-pulled events, sampled and batched: buffered in memory and written to the outbox in one
// transaction about once a second (and at close), so a pull never costs its own database write.
import type { Kysely } from '@docksphere/db';
import { newEvent, type Actor, type DomainEvent, type EventPayloads } from '@docksphere/events';
import type { Logger } from '@docksphere/kit';
import { writeEvents } from '../store/registry-store.ts';

const MAX_BUFFERED = 10_000;
/**
 * Events per outbox transaction. An embedded database runs each statement on this thread: one
 * statement for a whole busy second's pulls (thousands of rows) blocked every request for over a
 * second, so a flush writes bounded batches and lets requests in between them.
 */
const FLUSH_BATCH = 250;

export interface PullEventsDeps {
  db: Kysely<any>;
  logger: Logger;
  sampleRate: number;
  flushIntervalMs?: number;
  onEventsWritten?: (() => void) | undefined;
}

export class PullEvents {
  #buffer: DomainEvent[] = [];
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PullEventsDeps) {}

  record(actor: Actor, payload: EventPayloads['registry.image.pulled']): void {
    const rate = this.deps.sampleRate;
    if (rate <= 0 || (rate < 1 && Math.random() >= rate)) return;
    if (this.#buffer.length >= MAX_BUFFERED) {
      this.#dropped++;
      return;
    }
    this.#buffer.push(newEvent('registry.image.pulled', actor, payload));
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
      const pending = this.#buffer;
      this.#buffer = [];
      if (this.#dropped > 0) {
        this.deps.logger.warn({ dropped: this.#dropped }, 'pull events dropped: buffer full');
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
