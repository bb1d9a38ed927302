import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, BATCHES_PER_BODY, batchPoolStats, BodyBatches, MAX_BATCHES } from './body-batches.ts';
import { openHashSession } from './hash-sessions.ts';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A body of odd-sized chunks, as a socket delivers them. */
function bodyOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, n = 1; at < bytes.length; n = (n * 7919 + 13) % 100_000) {
    chunks.push(bytes.subarray(at, Math.min(bytes.length, at + n + 1)));
    at += n + 1;
  }
  return Readable.from(chunks, { objectMode: false });
}

/** A store that copies what it is given, optionally slowly; records how many batches were ever held. */
async function store(batches: AsyncIterable<Uint8Array>, delayMs = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of batches) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    // Read at the last moment before asking for the next: a batch reused too early shows here.
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

describe('BodyBatches', () => {
  it('hands the store and the hasher exactly the body, in batches of at most BATCH_BYTES', async () => {
    const bytes = randomBytes(3 * MiB + 777);
    const hasher = openHashSession('sha256');
    const batches = new BodyBatches(bodyOf(bytes), hasher, bytes.length);
    const sizes: number[] = [];
    const stored: Buffer[] = [];
    for await (const chunk of batches) {
      sizes.push(chunk.length);
      stored.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(stored).equals(bytes)).toBe(true);
    expect(Math.max(...sizes)).toBe(BATCH_BYTES);
    expect(batches.bytes).toBe(bytes.length);
    expect(await hasher.digest()).toBe(sha256(bytes));
  });

  it('pauses the body while a slow store holds every batch, and still delivers every byte intact', async () => {
    const bytes = randomBytes(BATCH_BYTES * (BATCHES_PER_BODY + 4) + 5);
    const body = new PassThrough({ highWaterMark: 64 * 1024 });
    let paused = false;
    body.on('pause', () => (paused = true));
    const hasher = openHashSession('sha256');
    const batches = new BodyBatches(body, hasher, bytes.length);
    // The writer respects backpressure, as a socket would.
    const writing = (async () => {
      for (let at = 0; at < bytes.length; at += 64 * 1024) {
        if (!body.write(bytes.subarray(at, at + 64 * 1024))) await new Promise((r) => body.once('drain', r));
      }
      body.end();
    })();
    const stored = await store(batches, 15);
    await writing;
    expect(paused).toBe(true);
    expect(stored.equals(bytes)).toBe(true);
    expect(await hasher.digest()).toBe(sha256(bytes));
  });

  it('shares a bounded set of batches among more uploads than it can serve at once; every upload completes intact', async () => {
    const uploads = MAX_BATCHES / BATCHES_PER_BODY + 8;
    const bodies = Array.from({ length: uploads }, () => randomBytes(BATCH_BYTES * 3 + 99));
    const stored = await Promise.all(
      bodies.map(async (bytes) => {
        const hasher = openHashSession('sha256');
        const out = await store(new BodyBatches(bodyOf(bytes), hasher, bytes.length), 2);
        return { out, digest: await hasher.digest() };
      }),
    );
    stored.forEach(({ out, digest }, i) => {
      expect(out.equals(bodies[i] as Buffer)).toBe(true);
      expect(digest).toBe(sha256(bodies[i] as Buffer));
    });
    const stats = batchPoolStats();
    expect(stats.allocated).toBeLessThanOrEqual(MAX_BATCHES);
    expect(stats).toMatchObject({ free: stats.allocated, waiting: 0 });
  });

  it('gives every batch back when the store never iterates (it failed first) and the body is discarded', async () => {
    const bytes = randomBytes(BATCH_BYTES * (BATCHES_PER_BODY + 2));
    const hasher = openHashSession('sha256');
    const body = bodyOf(bytes);
    const batches = new BodyBatches(body, hasher, bytes.length);
    // Let it fill every batch it may hold and pause.
    await new Promise((r) => setTimeout(r, 50));
    expect(batchPoolStats().free).toBeLessThan(batchPoolStats().allocated);
    batches.discard();
    hasher.close();
    await new Promise<void>((resolve) => body.once('end', resolve));
    await new Promise((r) => setImmediate(r));
    const stats = batchPoolStats();
    expect(stats).toMatchObject({ free: stats.allocated, waiting: 0 });
  });

  it('gives every batch back when the body turns out longer than declared halfway through', async () => {
    const bytes = randomBytes(BATCH_BYTES * 6);
    const hasher = openHashSession('sha256');
    await expect(store(new BodyBatches(bodyOf(bytes), hasher, BATCH_BYTES * 3), 5)).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    hasher.close();
    await new Promise((r) => setTimeout(r, 20));
    const stats = batchPoolStats();
    expect(stats).toMatchObject({ free: stats.allocated, waiting: 0 });
  });

  it('fails the body when the hasher loses a batch with its thread, and lets the pool replace that memory', async () => {
    const before = batchPoolStats();
    const bytes = randomBytes(BATCH_BYTES * 3 + 5);
    let lost = 0;
    // A hasher whose thread died holding the batch: the memory is detached, the promise rejects.
    const dying = {
      algorithm: 'sha256' as const,
      update: () => undefined,
      hashOwned: (batch: Uint8Array) => {
        structuredClone(batch.buffer, { transfer: [batch.buffer as ArrayBuffer] });
        lost++;
        return Promise.reject(new Error('hash worker exited with code 1'));
      },
      digest: () => Promise.reject(new Error('unused')),
      close: () => undefined,
    };
    await expect(store(new BodyBatches(bodyOf(bytes), dying, bytes.length), 5)).rejects.toThrow('hash worker exited');
    await new Promise((r) => setTimeout(r, 20));
    const after = batchPoolStats();
    expect(lost).toBeGreaterThan(0);
    // Lost batches no longer count as allocated (the body took at most BATCHES_PER_BODY new ones).
    expect(after.allocated).toBeLessThanOrEqual(before.allocated + BATCHES_PER_BODY - lost);
    expect(after).toMatchObject({ free: after.allocated, waiting: 0 });
    // The pool still serves full uploads afterwards.
    const again = randomBytes(BATCH_BYTES * 5);
    const hasher = openHashSession('sha256');
    expect((await store(new BodyBatches(bodyOf(again), hasher, again.length))).equals(again)).toBe(true);
    expect(await hasher.digest()).toBe(sha256(again));
  });

  it('fails with SIZE_INVALID when the body is longer or shorter than declared', async () => {
    const bytes = randomBytes(100_000);
    await expect(store(new BodyBatches(bodyOf(bytes), undefined, bytes.length - 1))).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    await expect(store(new BodyBatches(bodyOf(bytes), undefined, bytes.length + 1))).rejects.toMatchObject({ code: 'SIZE_INVALID' });
  });

  it('fails when the body errors or ends early, and stops consuming it', async () => {
    const body = new PassThrough();
    const batches = new BodyBatches(body, undefined, undefined);
    const stored = store(batches);
    body.write(randomBytes(1000));
    body.destroy(new Error('client went away'));
    await expect(stored).rejects.toThrow('client went away');
  });

  it('lets the rest of the body drain when the store gives up early', async () => {
    const bytes = randomBytes(4 * MiB);
    const body = bodyOf(bytes);
    const batches = new BodyBatches(body, undefined, bytes.length);
    for await (const _ of batches) break;
    // Nothing reads it any more, yet it flows to its end: the connection is not left stalled.
    await new Promise<void>((resolve, reject) => {
      body.once('end', resolve);
      body.once('error', reject);
    });
  });
});
