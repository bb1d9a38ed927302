import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IN_THREAD_BELOW, openHashSession } from './hash-sessions.ts';

const MiB = 1024 * 1024;

function expected(algorithm: 'sha256' | 'sha512', parts: Uint8Array[]): string {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return `${algorithm}:${h.digest('hex')}`;
}

/** Odd-sized views into one larger buffer, like request chunks sliced from a socket read. */
function chunksOf(total: number): Buffer[] {
  const backing = randomBytes(total + 7);
  const out: Buffer[] = [];
  let at = 3;
  for (let n = 1; at < total + 3; n = (n * 7919 + 13) % 200_000) {
    const len = Math.min(n + 1, total + 3 - at);
    out.push(backing.subarray(at, at + len));
    at += len;
  }
  return out;
}

describe('hash sessions on worker threads', () => {
  it('digests many odd-sized chunks the same as node:crypto, for sha256 and sha512', async () => {
    const parts = chunksOf(5 * MiB + 123);
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const s = openHashSession(algorithm);
      for (const p of parts) {
        const lag = s.update(p);
        if (lag) await lag;
      }
      expect(await s.digest()).toBe(expected(algorithm, parts));
    }
  });

  it('leaves the caller chunks intact (they are copied, never detached)', async () => {
    const chunk = randomBytes(600 * 1024);
    const copy = Buffer.from(chunk);
    const s = openHashSession('sha256');
    await s.update(chunk);
    expect(await s.digest()).toBe(expected('sha256', [copy]));
    expect(chunk.length).toBe(copy.length);
    expect(chunk.equals(copy)).toBe(true);
  });

  it('asks the caller to wait when more than a few MiB are in flight, and still digests everything', async () => {
    const chunk = randomBytes(MiB);
    const s = openHashSession('sha256');
    let waits = 0;
    for (let i = 0; i < 24; i++) {
      const lag = s.update(chunk);
      if (lag) {
        waits++;
        await lag;
      }
    }
    expect(waits).toBeGreaterThan(0);
    expect(await s.digest()).toBe(expected('sha256', Array.from({ length: 24 }, () => chunk)));
  });

  it('keeps concurrent sessions apart', async () => {
    const a = chunksOf(2 * MiB);
    const b = chunksOf(3 * MiB);
    const sa = openHashSession('sha256');
    const sb = openHashSession('sha256');
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) await sa.update(a[i] as Buffer);
      if (b[i]) await sb.update(b[i] as Buffer);
    }
    const [da, db] = await Promise.all([sa.digest(), sb.digest()]);
    expect(da).toBe(expected('sha256', a));
    expect(db).toBe(expected('sha256', b));
  });

  it('hashes owned batches without copying, in order with copied chunks, on a worker and in-thread, and gives their memory back', async () => {
    const copied = randomBytes(300 * 1024 + 5);
    const tail = randomBytes(17);
    for (const options of [{}, { expectedBytes: 1000 }]) {
      const memory = new Uint8Array(new ArrayBuffer(700 * 1024));
      memory.set(randomBytes(memory.length));
      const sent = Buffer.from(memory.subarray(0, 500 * 1024));
      const s = openHashSession('sha256', options);
      await s.update(copied);
      const back = await s.hashOwned(memory.subarray(0, 500 * 1024));
      // The whole ArrayBuffer comes back, bytes unchanged.
      expect(back.byteLength).toBe(700 * 1024);
      expect(Buffer.from(back.subarray(0, 500 * 1024)).equals(sent)).toBe(true);
      await s.update(tail);
      expect(await s.digest()).toBe(expected('sha256', [copied, sent, tail]));
    }
  });

  it('moves an owned batch to the hasher thread, so the caller cannot touch it until it is back', async () => {
    const memory = new Uint8Array(new ArrayBuffer(2 * MiB)).fill(5);
    const s = openHashSession('sha256');
    const back = s.hashOwned(memory);
    expect(memory.byteLength).toBe(0);
    expect((await back).byteLength).toBe(2 * MiB);
    expect(await s.digest()).toBe(expected('sha256', [Buffer.alloc(2 * MiB, 5)]));
  });

  it('refuses an owned batch that is a view into a larger or shared buffer, without taking it', async () => {
    const s = openHashSession('sha256');
    const pooled = new Uint8Array(new ArrayBuffer(MiB));
    await expect(s.hashOwned(pooled.subarray(16))).rejects.toThrow(/own ArrayBuffer/);
    await expect(s.hashOwned(new Uint8Array(new SharedArrayBuffer(16)))).rejects.toThrow(/own ArrayBuffer/);
    expect(pooled.byteLength).toBe(MiB);
    s.close();
    await expect(s.hashOwned(pooled)).rejects.toThrow(/finished/);
    expect(pooled.byteLength).toBe(MiB);
  });

  it('gives owned batches back even when the session is closed while they are in flight', async () => {
    const s = openHashSession('sha256');
    const pending = [s.hashOwned(new Uint8Array(new ArrayBuffer(2 * MiB))), s.hashOwned(new Uint8Array(new ArrayBuffer(2 * MiB)))];
    s.close();
    const back = await Promise.all(pending);
    expect(back.map((m) => m.byteLength)).toEqual([2 * MiB, 2 * MiB]);
    await expect(s.digest()).rejects.toThrow(/finished/);
  });

  it('hashes small known sizes in-thread with the same result', async () => {
    const data = randomBytes(IN_THREAD_BELOW - 1);
    const s = openHashSession('sha256', { expectedBytes: data.length });
    expect(s.update(data)).toBeUndefined();
    expect(await s.digest()).toBe(expected('sha256', [data]));
  });

  it('refuses use after digest or close', async () => {
    const s = openHashSession('sha256');
    s.update(Buffer.from('abc'));
    await s.digest();
    expect(() => s.update(Buffer.from('x'))).toThrow(/finished/);
    await expect(s.digest()).rejects.toThrow(/finished/);
    const c = openHashSession('sha256');
    c.update(Buffer.from('abc'));
    c.close();
    c.close();
    expect(() => c.update(Buffer.from('x'))).toThrow(/finished/);
  });

  it('never keeps the process alive once nothing is owed', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = [
      `import { openHashSession } from ${JSON.stringify(path.join(here, 'hash-sessions.ts'))};`,
      `const s = openHashSession('sha256'); s.update(Buffer.alloc(2 * 1024 * 1024, 1));`,
      `const idle = openHashSession('sha256'); idle.update(Buffer.from('left open'));`,
      `console.log(await s.digest());`,
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    expect(stdout.trim()).toBe(expected('sha256', [Buffer.alloc(2 * MiB, 1)]));
  }, 90_000);
});
