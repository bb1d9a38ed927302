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
   * Feeds the next bytes without copying them: view lies on a SharedArrayBuffer (see
   * shared-batches.ts) that the hasher reads in place. Resolves once they are hashed; the caller
   * must not change those bytes before then. Ordered with update() calls.
   */
  hashShared(view: Uint8Array): Promise<void>;
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

class InThreadSession implements HashSession {
  #digester: ReturnType<typeof createDigester> | undefined;
  constructor(readonly algorithm: DigestAlgorithm) {
    this.#digester = createDigester(algorithm);
  }
  update(chunk: Uint8Array): void {
    if (!this.#digester) throw new Error('hash session is finished');
    this.#digester.update(chunk);
  }
  hashShared(view: Uint8Array): Promise<void> {
    try {
      this.update(view);
      return Promise.resolve();
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
      // The batch goes back to be refilled: fresh 256 KiB buffers cost page faults and GC.
      parentPort.postMessage({ sid: m.sid, acked: m.chunk.byteLength, chunk: m.chunk }, [m.chunk.buffer]);
    } else if (m.op === 'shared') {
      const h = hashes.get(m.sid);
      if (!h) throw new Error('unknown hash session');
      h.update(m.view);
      parentPort.postMessage({ sid: m.sid, shared: m.view.byteLength });
    } else if (m.op === 'digest') {
      const h = hashes.get(m.sid);
      if (!h) throw new Error('unknown hash session');
      hashes.delete(m.sid);
      parentPort.postMessage({ sid: m.sid, hex: h.digest('hex') });
    } else if (m.op === 'close') hashes.delete(m.sid);
  } catch (err) {
    hashes.delete(m.sid);
    parentPort.postMessage({ sid: m.sid, error: String((err && err.message) || err) });
  }
});
`;

type WorkerReply =
  | { sid: number; acked: number; chunk: Uint8Array }
  | { sid: number; shared: number }
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
    for (const s of [...this.sessions.values()]) s.onFailure(err);
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
  #batch: Buffer | undefined;
  #filled = 0;
  #inFlight = 0;
  #finished = false;
  #failure: Error | undefined;
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** hashShared() calls in flight, answered in order by the worker. */
  #shared: { bytes: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  #digest: { resolve: (hex: string) => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly worker: HashWorker,
    readonly sid: number,
  ) {}

  update(chunk: Uint8Array): void | Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#finished) throw new Error('hash session is finished');
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

  hashShared(view: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#finished) return Promise.reject(new Error('hash session is finished'));
    if (!(view.buffer instanceof SharedArrayBuffer)) return Promise.reject(new TypeError('hashShared needs a view on a SharedArrayBuffer'));
    // Copied bytes still waiting in a batch go first, so the hash sees the bytes in order.
    this.#flush();
    return new Promise<void>((resolve, reject) => {
      this.#shared.push({ bytes: view.byteLength, resolve, reject });
      this.worker.owe(view.byteLength);
      try {
        this.worker.post({ op: 'shared', sid: this.sid, view });
      } catch (err) {
        this.onFailure(err as Error);
      }
    });
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
        this.onFailure(err as Error);
      }
    });
  }

  close(): void {
    if (this.#finished || this.#failure) return;
    this.#finished = true;
    if (this.#batch) giveBack(this.#batch);
    this.#batch = undefined;
    this.#release(new Error('hash session closed'));
    if (!this.worker.failed) this.worker.post({ op: 'close', sid: this.sid });
  }

  onReply(m: WorkerReply): void {
    if ('shared' in m) {
      const done = this.#shared.shift();
      this.worker.owe(-m.shared);
      done?.resolve();
    } else if ('acked' in m) {
      giveBack(m.chunk);
      this.#inFlight -= m.acked;
      this.worker.owe(-m.acked);
      if (this.#inFlight <= MAX_IN_FLIGHT / 2) for (const w of this.#waiters.splice(0)) w.resolve();
    } else if ('hex' in m) {
      const d = this.#digest;
      this.#digest = undefined;
      this.worker.owe(-1);
      this.worker.sessions.delete(this.sid);
      d?.resolve(`${this.algorithm}:${m.hex}`);
    } else {
      this.onFailure(new Error(`hashing failed: ${m.error}`));
    }
  }

  onFailure(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#release(err);
    for (const w of this.#waiters.splice(0)) w.reject(err);
    const d = this.#digest;
    this.#digest = undefined;
    d?.reject(err);
  }

  /**
   * Forgets this session on the worker side of the books (in-flight bytes no longer hold a ref);
   * hashShared() calls still waiting are settled with reason, since their answers will be dropped.
   */
  #release(reason: Error): void {
    this.worker.sessions.delete(this.sid);
    if (this.#inFlight > 0) this.worker.owe(-this.#inFlight);
    if (this.#digest) this.worker.owe(-1);
    for (const w of this.#shared.splice(0)) {
      this.worker.owe(-w.bytes);
      w.reject(reason);
    }
    this.#inFlight = 0;
  }

  #flush(): void {
    if (!this.#batch || this.#filled === 0) return;
    // A partly filled batch is cut to its length; its ArrayBuffer is still its own, so transferable.
    const batch = this.#filled === BATCH_BYTES ? this.#batch : this.#batch.subarray(0, this.#filled);
    const bytes = this.#filled;
    this.#batch = undefined;
    this.#filled = 0;
    this.#inFlight += bytes;
    this.worker.owe(bytes);
    this.worker.post({ op: 'update', sid: this.sid, chunk: batch }, [batch.buffer as ArrayBuffer]);
  }
}

let shared: HashPool | undefined;
function pool(): HashPool {
  shared ??= new HashPool(Math.max(1, availableParallelism()));
  return shared;
}
