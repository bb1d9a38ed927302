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

  it('hashes shared views in place, in order with copied chunks, on a worker and in-thread', async () => {
    const copied = randomBytes(300 * 1024 + 5);
    const shared = new Uint8Array(new SharedArrayBuffer(700 * 1024));
    shared.set(randomBytes(shared.length));
    const tail = randomBytes(17);
    for (const options of [{}, { expectedBytes: 1000 }]) {
      const s = openHashSession('sha256', options);
      await s.update(copied);
      await s.hashShared(shared.subarray(0, 500 * 1024));
      await s.update(tail);
      expect(await s.digest()).toBe(expected('sha256', [copied, shared.subarray(0, 500 * 1024), tail]));
    }
    await expect(openHashSession('sha256').hashShared(new Uint8Array(4))).rejects.toThrow(/SharedArrayBuffer/);
  });

  it('settles shared views still in flight when the session is closed', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4 * MiB));
    const s = openHashSession('sha256');
    const pending = [s.hashShared(shared.subarray(0, 2 * MiB)), s.hashShared(shared.subarray(2 * MiB))];
    s.close();
    const settled = await Promise.allSettled(pending);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected']);
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
