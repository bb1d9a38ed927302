// The one behaviour suite every BlobStore driver must pass; each driver's test file calls it with
// a way to reach a ready store (set up in that file's beforeAll).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import type { BlobStore } from '../src/index.ts';

const MiB = 1024 * 1024;

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A request body that delivers `bytes`, pauses long enough for the store to write them, then fails
 * as a dropped client connection would: so a driver that keeps partial bytes is caught.
 */
export function failingBody(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(bytes);
      setTimeout(() => this.destroy(new Error('client connection reset')), 200);
    },
  });
}

/** Stages `chunks` as consecutive appends of a new upload; returns its id. */
async function stage(store: BlobStore, chunks: Buffer[]): Promise<{ id: string; size: number }> {
  const id = randomUUID();
  await store.startUpload(id);
  let size = 0;
  for (const chunk of chunks) {
    const res = await store.appendUpload(id, size, Readable.from([chunk]));
    expect(res.size).toBe(size + chunk.length);
    size = res.size;
  }
  return { id, size };
}

async function push(store: BlobStore, chunks: Buffer[]): Promise<{ digest: string; bytes: Buffer }> {
  const bytes = Buffer.concat(chunks);
  const digest = sha256(bytes);
  const { id, size } = await stage(store, chunks);
  await store.commitUpload(id, digest, size);
  return { digest, bytes };
}

async function readAll(store: BlobStore, digest: string, range?: { start: number; end: number }): Promise<Buffer> {
  const res = await store.read(digest, range);
  if (!res.exists) throw new Error(`${digest} is absent`);
  return buffer(res.body);
}

export function blobStoreContract(getStore: () => BlobStore): void {
  it('reports an absent blob as absent from stat and read', async () => {
    const store = getStore();
    const digest = sha256(randomBytes(16));
    expect(await store.stat(digest)).toEqual({ exists: false });
    expect(await store.read(digest)).toEqual({ exists: false });
    await expect(store.read(digest, { start: 0, end: 3 })).resolves.toEqual({ exists: false });
  });

  it('commits staged bytes and serves them whole and by range', async () => {
    const store = getStore();
    const { digest, bytes } = await push(store, [randomBytes(1000), randomBytes(2345)]);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: bytes.length });
    expect((await readAll(store, digest)).equals(bytes)).toBe(true);
    const ranged = await store.read(digest, { start: 10, end: 1500 });
    expect(ranged.exists && ranged.size).toBe(bytes.length);
    if (!ranged.exists) throw new Error('absent');
    expect((await buffer(ranged.body)).equals(bytes.subarray(10, 1501))).toBe(true);
    expect((await readAll(store, digest, { start: 0, end: 0 })).equals(bytes.subarray(0, 1))).toBe(true);
    const last = bytes.length - 1;
    expect((await readAll(store, digest, { start: last, end: last })).equals(bytes.subarray(last))).toBe(true);
  });

  it('commits an empty blob', async () => {
    const store = getStore();
    const id = randomUUID();
    await store.startUpload(id);
    const digest = sha256(Buffer.alloc(0));
    await store.commitUpload(id, digest, 0);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: 0 });
    expect((await readAll(store, digest)).length).toBe(0);
  });

  it('keeps the staged size on an empty append and commits the bytes around it', async () => {
    const store = getStore();
    const a = randomBytes(64);
    const b = randomBytes(32);
    const { id } = await stage(store, [a]);
    expect(await store.appendUpload(id, 64, Readable.from([]))).toEqual({ size: 64 });
    expect(await store.appendUpload(id, 64, Readable.from([b]))).toEqual({ size: 96 });
    expect(await store.appendUpload(id, 96, Readable.from([]))).toEqual({ size: 96 });
    const bytes = Buffer.concat([a, b]);
    await store.commitUpload(id, sha256(bytes), 96);
    expect((await readAll(store, sha256(bytes))).equals(bytes)).toBe(true);
  });

  it('stores sha512-addressed blobs too', async () => {
    const store = getStore();
    const bytes = randomBytes(2000);
    const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const { id, size } = await stage(store, [bytes]);
    await store.commitUpload(id, digest, size);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: 2000 });
    expect((await readAll(store, digest)).equals(bytes)).toBe(true);
  });

  it('reads back the first size staged bytes of an upload', async () => {
    const store = getStore();
    const a = randomBytes(700);
    const b = randomBytes(300);
    const { id } = await stage(store, [a, b]);
    expect((await buffer(await store.readUpload(id, 1000))).equals(Buffer.concat([a, b]))).toBe(true);
    expect((await buffer(await store.readUpload(id, 700))).equals(a)).toBe(true);
    expect((await buffer(await store.readUpload(id, 850))).equals(Buffer.concat([a, b]).subarray(0, 850))).toBe(true);
    expect((await buffer(await store.readUpload(id, 0))).length).toBe(0);
    await expect(store.readUpload(id, 1001)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    await store.abortUpload(id);
  });

  it('discards bytes past offset that an unrecorded earlier append left behind', async () => {
    const store = getStore();
    const head = randomBytes(500);
    const { id } = await stage(store, [head]);
    // These appends succeed in the store, but the caller never records sizes 800 and 1000 (say its
    // DB writes failed)...
    expect(await store.appendUpload(id, 500, Readable.from([randomBytes(300)]))).toEqual({ size: 800 });
    expect(await store.appendUpload(id, 800, Readable.from([randomBytes(200)]))).toEqual({ size: 1000 });
    // ...so it retries at the offset it did record: everything past 500 is replaced, not kept.
    const tail = randomBytes(300);
    expect(await store.appendUpload(id, 500, Readable.from([tail]))).toEqual({ size: 800 });
    const expected = Buffer.concat([head, tail]);
    expect((await buffer(await store.readUpload(id, 800))).equals(expected)).toBe(true);
    await expect(store.readUpload(id, 801)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    const digest = sha256(expected);
    await store.commitUpload(id, digest, 800);
    expect((await readAll(store, digest)).equals(expected)).toBe(true);
  });

  it('leaves the staged size at offset when the body fails mid-stream, and appends at offset after it', async () => {
    const store = getStore();
    const head = randomBytes(1024);
    const { id } = await stage(store, [head]);
    await expect(store.appendUpload(id, 1024, failingBody(randomBytes(64 * 1024)))).rejects.toThrow('client connection reset');
    expect((await buffer(await store.readUpload(id, 1024))).equals(head)).toBe(true);
    await expect(store.readUpload(id, 1025)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    const tail = randomBytes(2048);
    expect(await store.appendUpload(id, 1024, Readable.from([tail]))).toEqual({ size: 3072 });
    const expected = Buffer.concat([head, tail]);
    const digest = sha256(expected);
    await store.commitUpload(id, digest, 3072);
    expect((await readAll(store, digest)).equals(expected)).toBe(true);
  });

  it('rejects an append at an offset past the staged bytes and changes nothing', async () => {
    const store = getStore();
    const head = randomBytes(100);
    const { id } = await stage(store, [head]);
    await expect(store.appendUpload(id, 150, Readable.from([randomBytes(10)]))).rejects.toMatchObject({
      name: 'InvalidOffsetError',
    });
    expect((await buffer(await store.readUpload(id, 100))).equals(head)).toBe(true);
    await expect(store.readUpload(id, 101)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    await expect(store.commitUpload(id, sha256(head), 160)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    expect(await store.stat(sha256(head))).toEqual({ exists: false });
    await store.abortUpload(id);
  });

  it('commits only the first size bytes when more are staged', async () => {
    const store = getStore();
    const bytes = randomBytes(4000);
    const { id } = await stage(store, [bytes.subarray(0, 3000), bytes.subarray(3000)]);
    const digest = sha256(bytes.subarray(0, 3500));
    await store.commitUpload(id, digest, 3500);
    expect((await readAll(store, digest)).equals(bytes.subarray(0, 3500))).toBe(true);
  });

  it('drops the staged data when committing a digest that already exists', async () => {
    const store = getStore();
    const bytes = randomBytes(5000);
    const { digest } = await push(store, [bytes]);
    const { id, size } = await stage(store, [bytes.subarray(0, 2000), bytes.subarray(2000)]);
    await store.commitUpload(id, digest, size);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: 5000 });
    expect((await readAll(store, digest)).equals(bytes)).toBe(true);
    await expect(store.readUpload(id, 0)).rejects.toMatchObject({ name: 'UploadNotFoundError' });
  });

  it('keeps one whole blob when two uploads commit the same digest at once', async () => {
    const store = getStore();
    const bytes = randomBytes(300 * 1024);
    const digest = sha256(bytes);
    const uploads = await Promise.all([1, 2, 3].map(() => stage(store, [bytes.subarray(0, 100 * 1024), bytes.subarray(100 * 1024)])));
    await Promise.all(uploads.map((u) => store.commitUpload(u.id, digest, u.size)));
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: bytes.length });
    expect((await readAll(store, digest)).equals(bytes)).toBe(true);
    for (const u of uploads) await expect(store.readUpload(u.id, 0)).rejects.toMatchObject({ name: 'UploadNotFoundError' });
  });

  it('removes staged data on abort, and aborting an absent upload is not an error', async () => {
    const store = getStore();
    const { id } = await stage(store, [randomBytes(100)]);
    await store.abortUpload(id);
    await expect(store.readUpload(id, 0)).rejects.toMatchObject({ name: 'UploadNotFoundError' });
    await expect(store.appendUpload(id, 0, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      name: 'UploadNotFoundError',
    });
    await expect(store.commitUpload(id, sha256(randomBytes(8)), 0)).rejects.toMatchObject({ name: 'UploadNotFoundError' });
    await store.abortUpload(id);
    await store.abortUpload(randomUUID());
  });

  it('deletes a committed blob, and deleting an absent blob is not an error', async () => {
    const store = getStore();
    const { digest } = await push(store, [randomBytes(64)]);
    await store.delete(digest);
    expect(await store.stat(digest)).toEqual({ exists: false });
    expect(await store.read(digest)).toEqual({ exists: false });
    await store.delete(digest);
  });

  it('commits an upload made of many small appends', async () => {
    const store = getStore();
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 37));
    const { digest, bytes } = await push(store, chunks);
    expect((await readAll(store, digest)).equals(bytes)).toBe(true);
    expect((await readAll(store, digest, { start: 999, end: 5000 })).equals(bytes.subarray(999, 5001))).toBe(true);
  });

  it('commits a 24 MiB upload made of three 8 MiB appends', async () => {
    const store = getStore();
    const chunks = [randomBytes(8 * MiB), randomBytes(8 * MiB), randomBytes(8 * MiB)];
    const { digest, bytes } = await push(store, chunks);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: 24 * MiB });
    expect(sha256(await readAll(store, digest))).toBe(digest);
    const across = { start: 8 * MiB - 10, end: 16 * MiB + 10 };
    expect((await readAll(store, digest, across)).equals(bytes.subarray(across.start, across.end + 1))).toBe(true);
  });

  it('rejects digests and upload ids that could escape the storage layout', async () => {
    const store = getStore();
    const badDigests = ['sha256:../../etc', 'sha256:../../../../../../etc/passwd', '../sha256', 'sha256:ABCDEF', `sha256:${'a'.repeat(63)}/`, 'md5:abc'];
    for (const digest of badDigests) {
      await expect(store.stat(digest)).rejects.toMatchObject({ name: 'InvalidDigestError' });
      await expect(store.read(digest)).rejects.toMatchObject({ name: 'InvalidDigestError' });
      await expect(store.locate(digest)).rejects.toMatchObject({ name: 'InvalidDigestError' });
      await expect(store.delete(digest)).rejects.toMatchObject({ name: 'InvalidDigestError' });
    }
    const { id, size } = await stage(store, [randomBytes(10)]);
    await expect(store.commitUpload(id, 'sha256:../../etc', size)).rejects.toMatchObject({ name: 'InvalidDigestError' });
    expect((await buffer(await store.readUpload(id, size))).length).toBe(size); // the upload is untouched
    for (const bad of ['../x', '..', '', 'x/../../y', `${randomUUID()}/..`, randomUUID().replace(/-/g, '')]) {
      await expect(store.startUpload(bad)).rejects.toMatchObject({ name: 'InvalidUploadIdError' });
      await expect(store.appendUpload(bad, 0, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
        name: 'InvalidUploadIdError',
      });
      await expect(store.readUpload(bad, 0)).rejects.toMatchObject({ name: 'InvalidUploadIdError' });
      await expect(store.commitUpload(bad, sha256(Buffer.alloc(0)), 0)).rejects.toMatchObject({ name: 'InvalidUploadIdError' });
      await expect(store.abortUpload(bad)).rejects.toMatchObject({ name: 'InvalidUploadIdError' });
    }
    await store.abortUpload(id);
  });

  it('stats a committed blob with its size and a modification time, and walks committed blobs and staged uploads', async () => {
    const store = getStore();
    const before = Date.now() - 5_000;
    const { digest, bytes } = await push(store, [randomBytes(3000)]);
    const s = await store.stat(digest);
    expect(s).toMatchObject({ exists: true, size: bytes.length });
    if (!s.exists) throw new Error('absent');
    expect(s.modifiedAt.getTime()).toBeGreaterThan(before);
    expect(s.modifiedAt.getTime()).toBeLessThan(Date.now() + 5_000);

    const blobs = new Map<string, { size: number; modifiedAt: Date }>();
    for await (const blob of store.listBlobs()) blobs.set(blob.digest, blob);
    expect(blobs.get(digest)).toMatchObject({ size: bytes.length });

    const { id } = await stage(store, [randomBytes(10)]);
    const ids: string[] = [];
    for await (const upload of store.listUploads()) ids.push(upload.id);
    expect(ids).toContain(id.toLowerCase());
    await store.abortUpload(id);
    const after: string[] = [];
    for await (const upload of store.listUploads()) after.push(upload.id);
    expect(after).not.toContain(id.toLowerCase());

    await store.delete(digest);
    const left: string[] = [];
    for await (const blob of store.listBlobs()) left.push(blob.digest);
    expect(left).not.toContain(digest);
  });

  it('stops a walk when its signal is aborted', async () => {
    const store = getStore();
    await push(store, [randomBytes(100)]);
    const controller = new AbortController();
    controller.abort(new Error('stopped by the test'));
    const walk = async () => {
      for await (const blob of store.listBlobs({ signal: controller.signal })) void blob;
    };
    await expect(walk()).rejects.toThrow('stopped by the test');
  });
}
