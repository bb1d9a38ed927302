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

/** Random bytes on their own ArrayBuffer, as hashOwned() takes them. */
function owned(bytes: number): Uint8Array {
  const memory = new Uint8Array(new ArrayBuffer(bytes));
  memory.set(randomBytes(bytes));
  return memory;
}

describe('hash sessions on worker threads', () => {
  it('digests batches of odd sizes the same as node:crypto, for sha256 and sha512, on a worker and in-thread', async () => {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      for (const options of [{}, { expectedBytes: 1000 }]) {
        const batches = [owned(700 * 1024 + 3), owned(1), owned(512 * 1024), owned(77)];
        const copies = batches.map((b) => Buffer.from(b));
        const s = openHashSession(algorithm, options);
        for (const b of batches) await s.hashOwned(b);
        expect(await s.digest()).toBe(expected(algorithm, copies));
      }
    }
  });

  it('gives each batch back whole and unchanged, also when only its start was hashed', async () => {
    for (const options of [{}, { expectedBytes: 1000 }]) {
      const memory = owned(700 * 1024);
      const sent = Buffer.from(memory.subarray(0, 500 * 1024));
      const rest = Buffer.from(memory.subarray(500 * 1024));
      const s = openHashSession('sha256', options);
      const back = await s.hashOwned(memory.subarray(0, 500 * 1024));
      expect(back.byteLength).toBe(700 * 1024);
      expect(Buffer.from(back.subarray(0, 500 * 1024)).equals(sent)).toBe(true);
      expect(Buffer.from(back.subarray(500 * 1024)).equals(rest)).toBe(true);
      expect(await s.digest()).toBe(expected('sha256', [sent]));
    }
  });

  it('moves a batch to the hasher thread without copying: the caller cannot touch it until it is back', async () => {
    const memory = new Uint8Array(new ArrayBuffer(2 * MiB)).fill(5);
    const s = openHashSession('sha256');
    const back = s.hashOwned(memory);
    expect(memory.byteLength).toBe(0);
    expect((await back).byteLength).toBe(2 * MiB);
    expect(await s.digest()).toBe(expected('sha256', [Buffer.alloc(2 * MiB, 5)]));
  });

  it('keeps concurrent sessions apart', async () => {
    const a = [owned(MiB + 1), owned(3)];
    const b = [owned(2 * MiB), owned(MiB - 9), owned(4)];
    const [ca, cb] = [a.map((x) => Buffer.from(x)), b.map((x) => Buffer.from(x))];
    const sa = openHashSession('sha256');
    const sb = openHashSession('sha256');
    for (let i = 0; i < 3; i++) {
      const x = a[i];
      const y = b[i];
      await Promise.all([x && sa.hashOwned(x), y && sb.hashOwned(y)]);
    }
    const [da, db] = await Promise.all([sa.digest(), sb.digest()]);
    expect(da).toBe(expected('sha256', ca));
    expect(db).toBe(expected('sha256', cb));
  });

  it('refuses a batch that is a view into a larger or shared buffer, without taking it', async () => {
    const s = openHashSession('sha256');
    const pooled = new Uint8Array(new ArrayBuffer(MiB));
    await expect(s.hashOwned(pooled.subarray(16))).rejects.toThrow(/own ArrayBuffer/);
    await expect(s.hashOwned(new Uint8Array(new SharedArrayBuffer(16)))).rejects.toThrow(/own ArrayBuffer/);
    expect(pooled.byteLength).toBe(MiB);
    s.close();
    await expect(s.hashOwned(pooled)).rejects.toThrow(/finished/);
    expect(pooled.byteLength).toBe(MiB);
  });

  it('gives batches back even when the session is closed while they are in flight', async () => {
    const s = openHashSession('sha256');
    const pending = [s.hashOwned(owned(2 * MiB)), s.hashOwned(owned(2 * MiB))];
    s.close();
    const back = await Promise.all(pending);
    expect(back.map((m) => m.byteLength)).toEqual([2 * MiB, 2 * MiB]);
    await expect(s.digest()).rejects.toThrow(/finished/);
  });

  it('hashes small known sizes in-thread, giving the batch back at once', async () => {
    const data = owned(IN_THREAD_BELOW - 1);
    const copy = Buffer.from(data);
    const s = openHashSession('sha256', { expectedBytes: data.length });
    expect(await s.hashOwned(data)).toEqual(data);
    expect(data.byteLength).toBe(IN_THREAD_BELOW - 1);
    expect(await s.digest()).toBe(expected('sha256', [copy]));
  });

  it('refuses use after digest or close', async () => {
    for (const options of [{}, { expectedBytes: 10 }]) {
      const s = openHashSession('sha256', options);
      await s.hashOwned(owned(3));
      await s.digest();
      await expect(s.hashOwned(owned(1))).rejects.toThrow(/finished/);
      await expect(s.digest()).rejects.toThrow(/finished/);
      const c = openHashSession('sha256', options);
      await c.hashOwned(owned(3));
      c.close();
      c.close();
      await expect(c.hashOwned(owned(1))).rejects.toThrow(/finished/);
    }
  });

  it('never keeps the process alive once nothing is owed', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = [
      `import { openHashSession } from ${JSON.stringify(path.join(here, 'hash-sessions.ts'))};`,
      `const s = openHashSession('sha256'); await s.hashOwned(new Uint8Array(new ArrayBuffer(2 * 1024 * 1024)).fill(1));`,
      `const idle = openHashSession('sha256'); await idle.hashOwned(new Uint8Array(new ArrayBuffer(9)));`,
      `console.log(await s.digest());`,
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    expect(stdout.trim()).toBe(expected('sha256', [Buffer.alloc(2 * MiB, 1)]));
  }, 90_000);
});
