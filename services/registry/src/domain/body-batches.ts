// An upload body regrouped into pooled batches that the blob store writes and then the hasher
// reads on its thread: one plain copy per byte on the main thread, none for the hasher.
import { finished, type Readable } from 'node:stream';
import { RegistryError } from '@docksphere/oci';
import type { HashSession } from './hash-sessions.ts';

/** Bytes per batch: one store write and one hasher message per batch. */
export const BATCH_BYTES = 512 * 1024;
/** Batches one body holds at most (filling, being written, waiting for and being hashed): 2 MiB per upload. */
export const BATCHES_PER_BODY = 4;
/**
 * Batches of all uploads together (32 MiB). They are allocated once and reused: a batch moves to
 * the hash worker's thread and back (transferred, not copied), and fresh memory per upload would
 * cost page faults and wait on garbage collectors to be freed. A body that finds none free waits
 * (paused) for one.
 *
 * Why not shared memory: V8 copies into a SharedArrayBuffer with relaxed atomic loads and
 * stores, byte by byte whenever source and target are differently aligned, which request chunks
 * almost always are (the first one starts after the headers): 2 GB/s against 11-21 GB/s for a
 * plain ArrayBuffer on the benchmark machine, 12-38% of the push's main-thread time.
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
    return new Uint8Array(new ArrayBuffer(BATCH_BYTES));
  },
  give(memory: Uint8Array): void {
    const next = this.waiting.shift();
    if (next) next(memory);
    else this.free.push(memory);
  },
  /** A batch that went down with the hash worker's thread: the next take() may allocate anew. */
  lost(): void {
    this.allocated--;
    const next = this.waiting.shift();
    if (next) {
      const memory = this.take();
      if (memory) next(memory);
    }
  },
};

/** Batches allocated so far (never more than MAX_BATCHES) and how many of them are idle. */
export function batchPoolStats(): { allocated: number; free: number; waiting: number } {
  return { allocated: pool.allocated, free: pool.free.length, waiting: pool.waiting.length };
}

interface Batch {
  memory: Uint8Array;
  length: number;
}

/**
 * Reads body as fast as the store and the hasher keep up (the body is paused while all of its
 * batches are in use), counts its bytes against the declared length, and yields each full batch
 * to the store. Once the store asks for the next one, a batch goes to the hasher (in the order
 * the store took them) and is reused when the hasher gives it back. Iterate once. A body that
 * errors, ends early or disagrees with the declared length fails the iteration (RegistryError
 * SIZE_INVALID for a length mismatch).
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
        // The store asks for the next batch: it is done with the one it had, the hasher is next.
        if (handed) this.#hash(handed);
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
      // Left early (the store failed or stopped): the batch it had is not hashed.
      if (handed) this.#release(handed.memory);
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
        this.#filling = { memory, length: 0 };
      }
      const batch = this.#filling;
      const n = Math.min(bytes.length - at, BATCH_BYTES - batch.length);
      batch.memory.set(bytes.subarray(at, at + n), batch.length);
      batch.length += n;
      at += n;
      if (batch.length === BATCH_BYTES) this.#seal();
    }
  }

  /** Queues the filling batch for the store. */
  #seal(): void {
    const batch = this.#filling;
    this.#filling = undefined;
    if (!batch) return;
    if (batch.length === 0) {
      this.#release(batch.memory);
      return;
    }
    this.#sealed.push(batch);
    this.#wake?.();
  }

  /** Moves a batch the store has written to the hasher; its memory comes back when hashed. */
  #hash(batch: Batch): void {
    if (!this.hasher || this.#stopped) {
      this.#release(batch.memory);
      return;
    }
    this.hasher.hashOwned(batch.memory.subarray(0, batch.length)).then(
      (memory) => this.#release(memory),
      (err: Error) => {
        this.#fail(err);
        // Detached: the memory went down with the hasher's thread.
        if (batch.memory.buffer.byteLength === 0) this.#lost();
        else this.#release(batch.memory);
      },
    );
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
    this.#filling = { memory, length: 0 };
    this.#drainBacklog();
  }

  /** Returns a batch's memory to the pool and lets the body flow again. */
  #release(memory: Uint8Array): void {
    this.#held--;
    pool.give(memory);
    if (!this.#stopped) this.#drainBacklog();
  }

  #lost(): void {
    this.#held--;
    pool.lost();
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
    if (filling) this.#release(filling.memory);
    for (const batch of this.#sealed.splice(0)) this.#release(batch.memory);
    this.body.off('data', this.#onData);
    this.body.resume();
  }
}
