// Incremental blob hashing off the main thread: a lazily started pool of worker threads, each
// upload's hash state pinned to one worker, batches moved to it and back without copying.
// Callers feed it through BodyBatches (body-batches.ts), which owns the memory and its bounds.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createDigester, type DigestAlgorithm } from '@docksphere/oci';

/** A running hash of one upload; feed it in order, then ask for the digest once. */
export interface HashSession {
  readonly algorithm: DigestAlgorithm;
  /**
   * Feeds the next bytes without copying them: batch must sit alone on its own ArrayBuffer (not a
   * view into pooled socket memory), which moves to the hasher's thread and is unusable here until
   * it comes back. Resolves with a view of that whole ArrayBuffer once the hasher is done with it,
   * whether or not hashing succeeded (a failure shows in digest()), so the caller can reuse the
   * memory. Rejects only without taking it (session finished or failed: batch is still usable)
   * or when the memory is gone with the hasher's thread (batch is then detached). Batches are
   * hashed in the order they are given.
   */
  hashOwned(batch: Uint8Array): Promise<Uint8Array>;
  /** Resolves "alg:hex" once every batch given so far is hashed; the session is finished afterwards. */
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
  hashOwned(batch: Uint8Array): Promise<Uint8Array> {
    try {
      if (!this.#digester) throw new Error('hash session is finished');
      checkOwned(batch);
      this.#digester.update(batch);
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

class WorkerSession implements HashSession {
  #finished = false;
  #failure: Error | undefined;
  /** Batches posted, answered in order by the worker, each with its memory. */
  readonly #posted: { resolve: (memory: Uint8Array) => void; reject: (err: Error) => void }[] = [];
  #digest: { resolve: (hex: string) => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly worker: HashWorker,
    readonly sid: number,
  ) {}

  hashOwned(batch: Uint8Array): Promise<Uint8Array> {
    // Read before posting: a transferred view has no bytes left.
    const bytes = batch.byteLength;
    try {
      if (this.#failure) throw this.#failure;
      if (this.#finished) throw new Error('hash session is finished');
      checkOwned(batch);
      this.worker.post({ op: 'update', sid: this.sid, chunk: batch }, [batch.buffer as ArrayBuffer]);
    } catch (err) {
      // Not posted: the batch is still the caller's.
      return Promise.reject(err as Error);
    }
    this.worker.owe(bytes);
    return new Promise<Uint8Array>((resolve, reject) => this.#posted.push({ resolve, reject }));
  }

  digest(): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#finished) return Promise.reject(new Error('hash session is finished'));
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
    if (this.worker.failed) return;
    // Batches already posted still come back (their memory is their owners'); then the session is forgotten.
    this.worker.post({ op: 'close', sid: this.sid });
    this.#forgetWhenIdle();
  }

  onReply(m: WorkerReply): void {
    if ('acked' in m) {
      this.worker.owe(-m.acked);
      this.#posted.shift()?.resolve(new Uint8Array(m.chunk.buffer));
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

  /** The worker thread is gone: every batch still posted to it is lost, and so is the digest. */
  onWorkerGone(err: Error): void {
    this.#fail(err);
    for (const p of this.#posted.splice(0)) p.reject(err);
    this.worker.sessions.delete(this.sid);
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    const d = this.#digest;
    this.#digest = undefined;
    if (d) this.worker.owe(-1);
    d?.reject(err);
  }

  /** A finished or failed session leaves the worker's books once nothing it posted is outstanding. */
  #forgetWhenIdle(): void {
    if ((this.#finished || this.#failure) && this.#posted.length === 0 && !this.#digest) this.worker.sessions.delete(this.sid);
  }
}

let shared: HashPool | undefined;
function pool(): HashPool {
  shared ??= new HashPool(Math.max(1, availableParallelism()));
  return shared;
}
