// An upload body regrouped into shared-memory batches that the blob store writes and the hasher
// reads in place at the same time: one copy per byte on the main thread, none for the hasher.
import { finished, type Readable } from 'node:stream';
import { RegistryError } from '@docksphere/oci';
import type { HashSession } from './hash-sessions.ts';

/** Bytes per batch: one store write and one hasher message per batch. */
export const BATCH_BYTES = 512 * 1024;
/** Batches one body holds at most (filling, being written, being hashed): 2 MiB per upload. */
export const BATCHES_PER_BODY = 4;
/**
 * Batches of all uploads together (32 MiB). They are allocated once and reused, never dropped: a
 * SharedArrayBuffer that has been posted to the hash worker stays alive until that worker's
 * garbage collector runs, which can be never, so fresh batches per upload grew memory by hundreds
 * of MiB. A body that finds none free waits (paused) for one.
 */
export const MAX_BATCHES = 64;

const pool = {
  allocated: 0,
  free: [] as Uint8Array[],
  waiting: [] as ((memory: Uint8Array) => void)[],
  take(): Uint8Array | undefined {
    const spare = this.free.pop();
    if (spare) return spare;
    if (this.allocated >= MAX_BATCHES) return undefined;
    this.allocated++;
    return new Uint8Array(new SharedArrayBuffer(BATCH_BYTES));
  },
  give(memory: Uint8Array): void {
    const next = this.waiting.shift();
    if (next) next(memory);
    else this.free.push(memory);
  },
};

/** Batches allocated so far (never more than MAX_BATCHES) and how many of them are idle. */
export function batchPoolStats(): { allocated: number; free: number; waiting: number } {
  return { allocated: pool.allocated, free: pool.free.length, waiting: pool.waiting.length };
}

interface Batch {
  memory: Uint8Array;
  length: number;
  /** Consumers still reading it: the store, and the hasher if there is one. */
  readers: number;
}

/**
 * Reads body as fast as the store and the hasher keep up (the body is paused while all of its
 * batches are in use), counts its bytes against the declared length, and yields each full batch
 * to the store. A yielded batch is reused once the store asks for the next one and the hasher has
 * hashed it. Iterate once. A body that errors, ends early or disagrees with the declared length
 * fails the iteration (RegistryError SIZE_INVALID for a length mismatch).
 */
export class BodyBatches implements AsyncIterable<Uint8Array> {
  /** Bytes read from the body so far. */
  bytes = 0;
  #filling: Batch | undefined;
  readonly #sealed: Batch[] = [];
  #held = 0;
  /** The rest of a body chunk that found no free batch; the body is paused meanwhile. */
  #backlog: Uint8Array | undefined;
  /** Whether this body waits in the pool's queue for a batch. */
  #queued = false;
  #ended = false;
  #endPending = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;

  constructor(
    private readonly body: Readable,
    private readonly hasher: HashSession | undefined,
    private readonly expected: number | undefined,
  ) {
    body.on('data', this.#onData);
    finished(body, { writable: false }, (err) => (err ? this.#fail(err) : this.#onEnd()));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let handed: Batch | undefined;
    try {
      for (;;) {
        // The store asks for the next batch: it is done with the one it had.
        if (handed) this.#release(handed);
        handed = undefined;
        if (this.#failure) throw this.#failure;
        const next = this.#sealed.shift();
        if (next) {
          handed = next;
          yield next.memory.subarray(0, next.length);
        } else if (this.#ended) return;
        else await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (handed) this.#release(handed);
      if (!this.#ended || this.#failure) this.#stop();
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    if (this.expected !== undefined && this.bytes > this.expected) {
      this.#fail(new RegistryError('SIZE_INVALID', `body is longer than the declared ${this.expected} bytes`));
      return;
    }
    this.#take(chunk);
  };

  /** Copies bytes into batches; keeps what does not fit as the backlog and pauses the body. */
  #take(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (!this.#filling) {
        const memory = this.#held < BATCHES_PER_BODY ? pool.take() : undefined;
        if (!memory) {
          this.#backlog = bytes.subarray(at);
          this.body.pause();
          // At its own limit a body waits for its batches to come back (#release); at the
          // process's limit it queues for the next batch any upload gives back.
          if (this.#held < BATCHES_PER_BODY && !this.#queued) {
            this.#queued = true;
            pool.waiting.push((m) => this.#granted(m));
          }
          return;
        }
        this.#held++;
        this.#filling = { memory, length: 0, readers: 0 };
      }
      const batch = this.#filling;
      const n = Math.min(bytes.length - at, BATCH_BYTES - batch.length);
      batch.memory.set(bytes.subarray(at, at + n), batch.length);
      batch.length += n;
      at += n;
      if (batch.length === BATCH_BYTES) this.#seal();
    }
  }

  /** Hands the filling batch to the hasher and queues it for the store. */
  #seal(): void {
    const batch = this.#filling;
    this.#filling = undefined;
    if (!batch) return;
    if (batch.length === 0) {
      batch.readers = 1;
      this.#release(batch);
      return;
    }
    batch.readers = this.hasher ? 2 : 1;
    if (this.hasher) {
      this.hasher.hashShared(batch.memory.subarray(0, batch.length)).then(
        () => this.#release(batch),
        (err: Error) => {
          this.#fail(err);
          this.#release(batch);
        },
      );
    }
    this.#sealed.push(batch);
    this.#wake?.();
  }

  #onEnd(): void {
    if (this.#failure) return;
    // The body can end while its last bytes still wait in the backlog (pausing a stream does not
    // hold back an 'end' that is already due): finish once the backlog has found batches.
    if (this.#backlog) {
      this.#endPending = true;
      return;
    }
    if (this.expected !== undefined && this.bytes !== this.expected) {
      this.#fail(new RegistryError('SIZE_INVALID', `body has ${this.bytes} bytes, ${this.expected} were declared`));
      return;
    }
    this.#seal();
    this.#ended = true;
    this.#wake?.();
  }

  /** A batch the pool handed over after this body waited for one. */
  #granted(memory: Uint8Array): void {
    this.#queued = false;
    if (this.#stopped || this.#filling) {
      pool.give(memory);
      return;
    }
    this.#held++;
    this.#filling = { memory, length: 0, readers: 0 };
    this.#drainBacklog();
  }

  /** One reader is done with batch; the last one returns its memory and lets the body flow again. */
  #release(batch: Batch): void {
    if (--batch.readers > 0) return;
    this.#held--;
    pool.give(batch.memory);
    if (!this.#stopped) this.#drainBacklog();
  }

  /** Copies the waiting rest of a chunk if batches allow; then ends or resumes the body. */
  #drainBacklog(): void {
    const backlog = this.#backlog;
    this.#backlog = undefined;
    if (backlog) this.#take(backlog);
    if (this.#backlog) return;
    if (this.#endPending) {
      this.#endPending = false;
      this.#onEnd();
    } else if (this.body.isPaused()) this.body.resume();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#stop();
    this.#wake?.();
  }

  /**
   * Gives up on the body (idempotent; harmless after a complete iteration): call it when the
   * store will not iterate, e.g. it failed before its first chunk, so no batch stays taken.
   */
  discard(): void {
    this.#stop();
  }

  /**
   * Stops using the body and gives back every batch the store will now never take (the hasher
   * gives back its share when its work settles). The rest of the body is read and discarded, so
   * the connection stays usable for the error response and the next request.
   */
  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#backlog = undefined;
    const filling = this.#filling;
    this.#filling = undefined;
    if (filling) {
      filling.readers = 1;
      this.#release(filling);
    }
    for (const batch of this.#sealed.splice(0)) this.#release(batch);
    this.body.off('data', this.#onData);
    this.body.resume();
  }
}
