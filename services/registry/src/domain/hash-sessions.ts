// Incremental blob hashing off the main thread: a lazily started pool of worker threads, each
// upload's hash state pinned to one worker, chunks posted to it with bounded bytes in flight.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createDigester, type DigestAlgorithm } from '@docksphere/oci';

/** A running hash of one upload; feed it in order, then ask for the digest once. */
export interface HashSession {
  readonly algorithm: DigestAlgorithm;
  /**
   * Feeds the next chunk (the caller may reuse the chunk afterwards). A returned promise means
   * the hasher is lagging: wait for it before feeding more (it rejects if the hasher failed).
   */
  update(chunk: Uint8Array): void | Promise<void>;
  /**
   * Feeds the next bytes without copying them: batch must sit alone on its own ArrayBuffer (not a
   * view into pooled socket memory), which moves to the hasher's thread and is unusable here until
   * it comes back. Resolves with a view of that whole ArrayBuffer once the hasher is done with it,
   * whether or not hashing succeeded (a failure shows in digest()), so the caller can reuse the
   * memory. Rejects only without taking it (session finished or failed: batch is still usable)
   * or when the memory is gone with the hasher's thread (batch is then detached). Ordered with
   * update() calls.
   */
  hashOwned(batch: Uint8Array): Promise<Uint8Array>;
  /** Resolves "alg:hex" once every chunk fed so far is hashed; the session is finished afterwards. */
  digest(): Promise<string>;
  /** Drops the state without a digest (idempotent; also fine after digest()). */
  close(): void;
}

export interface HashSessionOptions {
  /**
   * Bytes the caller expects to hash, when known. Below IN_THREAD_BELOW the hash runs on the
   * calling thread: a round trip to a worker costs more than hashing a small blob.
   */
  expectedBytes?: number | undefined;
}

/** Blobs known to be smaller than this are hashed in-thread (manifest-sized configs, small layers). */
export const IN_THREAD_BELOW = 1024 * 1024;
/** Bytes posted to a worker but not yet hashed before update() asks the caller to wait. */
const MAX_IN_FLIGHT = 8 * 1024 * 1024;
/** Chunks are copied into batches of this size, so a 256 MiB blob is ~1,000 messages, not ~16,000. */
const BATCH_BYTES = 256 * 1024;
/** Returned batches kept for reuse across sessions (at most 8 MiB idle). */
const SPARE_BATCHES = 32;
const spares: Buffer[] = [];

function takeBatch(): Buffer {
  return spares.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
}
function giveBack(chunk: Uint8Array): void {
  if (chunk.buffer.byteLength === BATCH_BYTES && spares.length < SPARE_BATCHES) spares.push(Buffer.from(chunk.buffer, 0, BATCH_BYTES));
}

/** Opens a hash session: in-thread for small known sizes, on a worker otherwise. */
export function openHashSession(algorithm: DigestAlgorithm, options: HashSessionOptions = {}): HashSession {
  const { expectedBytes } = options;
  if (expectedBytes !== undefined && expectedBytes < IN_THREAD_BELOW) return new InThreadSession(algorithm);
  return pool().open(algorithm);
}

/** hashOwned() moves the whole ArrayBuffer: a view into a bigger buffer would take its neighbours along. */
function checkOwned(batch: Uint8Array): void {
  if (batch.byteOffset !== 0 || !(batch.buffer instanceof ArrayBuffer)) throw new TypeError('hashOwned needs a view at the start of its own ArrayBuffer');
}

class InThreadSession implements HashSession {
  #digester: ReturnType<typeof createDigester> | undefined;
  constructor(readonly algorithm: DigestAlgorithm) {
    this.#digester = createDigester(algorithm);
  }
  update(chunk: Uint8Array): void {
    if (!this.#digester) throw new Error('hash session is finished');
    this.#digester.update(chunk);
  }
  hashOwned(batch: Uint8Array): Promise<Uint8Array> {
    try {
      checkOwned(batch);
      this.update(batch);
      return Promise.resolve(new Uint8Array(batch.buffer));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  digest(): Promise<string> {
    const d = this.#digester;
    this.#digester = undefined;
    if (!d) return Promise.reject(new Error('hash session is finished'));
    return Promise.resolve(d.digest());
  }
  close(): void {
    this.#digester = undefined;
  }
}

// The worker is plain JavaScript evaluated from a string, so it runs the same from TypeScript
// sources (tsx, vitest) and from the esbuild bundles, which have no separate worker file. It uses
// process.getBuiltinModule, not require, since an inherited --input-type=module makes it an ES module.
const WORKER_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const { createHash } = process.getBuiltinModule('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'open') hashes.set(m.sid, createHash(m.algorithm));
    else if (m.op === 'update') {
      const h = hashes.get(m.sid);
      if (!h) throw new Error('unknown hash session');
      h.update(m.chunk);
      // The memory goes back to its owner to be refilled: fresh buffers cost page faults and GC.
      parentPort.postMessage({ sid: m.sid, acked: m.chunk.byteLength, chunk: m.chunk }, [m.chunk.buffer]);
    } else if (m.op === 'digest') {
      const h = hashes.get(m.sid);
      if (!h) throw new Error('unknown hash session');
      hashes.delete(m.sid);
      parentPort.postMessage({ sid: m.sid, hex: h.digest('hex') });
    } else if (m.op === 'close') hashes.delete(m.sid);
  } catch (err) {
    hashes.delete(m.sid);
    const error = String((err && err.message) || err);
    // A chunk that could not be hashed still goes back: its memory belongs to the sender.
    if (m.op === 'update') parentPort.postMessage({ sid: m.sid, error, acked: m.chunk.byteLength, chunk: m.chunk }, [m.chunk.buffer]);
    else parentPort.postMessage({ sid: m.sid, error });
  }
});
`;

type WorkerReply =
  | { sid: number; acked: number; chunk: Uint8Array; error?: string }
  | { sid: number; hex: string }
  | { sid: number; error: string };

/** One worker thread and the sessions pinned to it; referenced only while it owes an answer. */
class HashWorker {
  readonly sessions = new Map<number, WorkerSession>();
  #owing = 0;
  #failed: Error | undefined;
  readonly #worker: Worker;

  constructor(private readonly onGone: (w: HashWorker) => void) {
    // No inherited flags: the worker needs no loaders (tsx) and plain JavaScript is all it runs.
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.#worker.on('message', (m: WorkerReply) => this.sessions.get(m.sid)?.onReply(m));
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`hash worker exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.#worker.unref();
  }

  get failed(): boolean {
    return this.#failed !== undefined;
  }

  post(message: object, transfer?: ArrayBuffer[]): void {
    if (this.#failed) throw this.#failed;
    this.#worker.postMessage(message, transfer);
  }

  /** Keeps the process alive while some session waits on this worker, and only then. */
  owe(delta: number): void {
    const before = this.#owing;
    this.#owing += delta;
    if (before === 0 && this.#owing > 0) this.#worker.ref();
    else if (before > 0 && this.#owing === 0) this.#worker.unref();
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.onGone(this);
    for (const s of [...this.sessions.values()]) s.onWorkerGone(err);
    this.sessions.clear();
    void this.#worker.terminate().catch(() => undefined);
  }
}

class HashPool {
  readonly #workers: HashWorker[] = [];
  #nextSid = 1;
  constructor(private readonly size: number) {}

  open(algorithm: DigestAlgorithm): HashSession {
    const worker = this.#pick();
    const session = new WorkerSession(algorithm, worker, this.#nextSid++);
    worker.sessions.set(session.sid, session);
    worker.post({ op: 'open', sid: session.sid, algorithm });
    return session;
  }

  /** The least loaded worker, starting another one while the pool is below its size. */
  #pick(): HashWorker {
    let best: HashWorker | undefined;
    for (const w of this.#workers) if (!best || w.sessions.size < best.sessions.size) best = w;
    if (best && (best.sessions.size === 0 || this.#workers.length >= this.size)) return best;
    const w = new HashWorker((gone) => {
      const i = this.#workers.indexOf(gone);
      if (i >= 0) this.#workers.splice(i, 1);
    });
    this.#workers.push(w);
    return w;
  }
}

/** A chunk posted to the worker: one of this session's own batches, or a caller's (hashOwned). */
interface Posted {
  bytes: number;
  owner?: { resolve: (memory: Uint8Array) => void; reject: (err: Error) => void };
}

class WorkerSession implements HashSession {
  #batch: Buffer | undefined;
  #filled = 0;
  /** Bytes of update() batches posted and not yet hashed (the backpressure of update()). */
  #inFlight = 0;
  #finished = false;
  #failure: Error | undefined;
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Chunks posted, answered in order by the worker, each with its memory. */
  readonly #posted: Posted[] = [];
  #digest: { resolve: (hex: string) => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly worker: HashWorker,
    readonly sid: number,
  ) {}

  update(chunk: Uint8Array): void | Promise<void> {
    this.#usable();
    // One copy into a batch this session owns, whose ArrayBuffer is then transferred, not cloned:
    // request chunks are views into shared socket/pool memory and must not be detached.
    let at = 0;
    while (at < chunk.length) {
      this.#batch ??= takeBatch();
      const n = Math.min(chunk.length - at, BATCH_BYTES - this.#filled);
      this.#batch.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === BATCH_BYTES) this.#flush();
    }
    if (this.#inFlight <= MAX_IN_FLIGHT) return undefined;
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  hashOwned(batch: Uint8Array): Promise<Uint8Array> {
    try {
      this.#usable();
      checkOwned(batch);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    // Copied bytes still waiting in a batch go first, so the hash sees the bytes in order.
    this.#flush();
    return new Promise<Uint8Array>((resolve, reject) => this.#post(batch, { resolve, reject }));
  }

  digest(): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#finished) return Promise.reject(new Error('hash session is finished'));
    this.#flush();
    this.#finished = true;
    return new Promise<string>((resolve, reject) => {
      this.#digest = { resolve, reject };
      this.worker.owe(1);
      try {
        this.worker.post({ op: 'digest', sid: this.sid });
      } catch (err) {
        this.onWorkerGone(err as Error);
      }
    });
  }

  close(): void {
    if (this.#finished || this.#failure) return;
    this.#finished = true;
    if (this.#batch) giveBack(this.#batch);
    this.#batch = undefined;
    this.#rejectWaiters(new Error('hash session closed'));
    if (this.worker.failed) return;
    // Chunks already posted still come back (their memory is their owners'); then the session is forgotten.
    this.worker.post({ op: 'close', sid: this.sid });
    this.#forgetWhenIdle();
  }

  onReply(m: WorkerReply): void {
    if ('acked' in m) {
      const posted = this.#posted.shift();
      this.worker.owe(-m.acked);
      const memory = new Uint8Array(m.chunk.buffer);
      if (posted?.owner) posted.owner.resolve(memory);
      else {
        giveBack(memory);
        this.#inFlight -= m.acked;
        if (this.#inFlight <= MAX_IN_FLIGHT / 2) for (const w of this.#waiters.splice(0)) w.resolve();
      }
      if (m.error !== undefined) this.#fail(new Error(`hashing failed: ${m.error}`));
    } else if ('hex' in m) {
      const d = this.#digest;
      this.#digest = undefined;
      this.worker.owe(-1);
      d?.resolve(`${this.algorithm}:${m.hex}`);
    } else {
      this.#fail(new Error(`hashing failed: ${m.error}`));
    }
    this.#forgetWhenIdle();
  }

  /** The worker thread is gone: everything still posted to it is lost, and so is the digest. */
  onWorkerGone(err: Error): void {
    this.#fail(err);
    for (const p of this.#posted.splice(0)) p.owner?.reject(err);
    this.#inFlight = 0;
    this.worker.sessions.delete(this.sid);
  }

  #usable(): void {
    if (this.#failure) throw this.#failure;
    if (this.#finished) throw new Error('hash session is finished');
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#rejectWaiters(err);
    const d = this.#digest;
    this.#digest = undefined;
    if (d) this.worker.owe(-1);
    d?.reject(err);
  }

  #rejectWaiters(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** A finished or failed session leaves the worker's books once nothing it posted is outstanding. */
  #forgetWhenIdle(): void {
    if ((this.#finished || this.#failure) && this.#posted.length === 0 && !this.#digest) this.worker.sessions.delete(this.sid);
  }

  #post(chunk: Uint8Array, owner?: Posted['owner']): void {
    const bytes = chunk.byteLength;
    try {
      this.worker.post({ op: 'update', sid: this.sid, chunk }, [chunk.buffer as ArrayBuffer]);
    } catch (err) {
      // Not posted: a caller's chunk is still the caller's; the session cannot go on.
      this.onWorkerGone(err as Error);
      owner?.reject(err as Error);
      return;
    }
    this.#posted.push({ bytes, owner });
    this.worker.owe(bytes);
    if (!owner) this.#inFlight += bytes;
  }

  #flush(): void {
    if (!this.#batch || this.#filled === 0) return;
    // A partly filled batch is cut to its length; its ArrayBuffer is still its own, so transferable.
    const batch = this.#filled === BATCH_BYTES ? this.#batch : this.#batch.subarray(0, this.#filled);
    this.#batch = undefined;
    this.#filled = 0;
    this.#post(batch);
  }
}

let shared: HashPool | undefined;
function pool(): HashPool {
  shared ??= new HashPool(Math.max(1, availableParallelism()));
  return shared;
}
