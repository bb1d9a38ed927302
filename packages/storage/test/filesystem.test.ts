// Runs the BlobStore contract against the filesystem driver, plus what only a filesystem shows.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@docksphere/kit';
import { createBlobStore, FilesystemBlobStore } from '../src/index.ts';
import { blobStoreContract, failingBody, sha256 } from './blob-store.contract.ts';

let dir: string;
let store: FilesystemBlobStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'docksphere-fs-store-'));
  store = new FilesystemBlobStore({ dir, accelRedirect: true });
});

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('FilesystemBlobStore contract', () => {
  blobStoreContract(() => store);
});

describe('FilesystemBlobStore on disk', () => {
  async function commit(bytes: Buffer, id = randomUUID()): Promise<string> {
    await store.startUpload(id);
    await store.appendUpload(id, 0, Readable.from([bytes]));
    const digest = sha256(bytes);
    await store.commitUpload(id, digest, bytes.length);
    return digest;
  }

  it('stores a blob at blobs/<alg>/<2 hex>/<hex> and leaves no staging behind', async () => {
    const bytes = randomBytes(1234);
    const id = randomUUID();
    const digest = await commit(bytes, id);
    const hex = digest.slice('sha256:'.length);
    const file = path.join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex);
    expect((await readFile(file)).equals(bytes)).toBe(true);
    expect(await readdir(path.join(dir, 'uploads'))).not.toContain(id);
    expect(await readdir(path.dirname(file))).toEqual([hex]);
  });

  it('offers the blob path relative to the blobs root for X-Accel-Redirect', async () => {
    const bytes = randomBytes(99);
    const digest = await commit(bytes);
    const location = await store.locate(digest);
    if (location?.kind !== 'path') throw new Error(`expected a path, got ${JSON.stringify(location)}`);
    const hex = digest.slice('sha256:'.length);
    expect(location.path).toBe(`sha256/${hex.slice(0, 2)}/${hex}`);
    expect((await readFile(path.join(dir, 'blobs', location.path))).equals(bytes)).toBe(true);
  });

  it('offers no direct location when no X-Accel prefix is configured', async () => {
    const plain = createBlobStore({ ...loadConfig({}).storage, dir });
    expect(plain).toBeInstanceOf(FilesystemBlobStore);
    expect(await plain.locate(sha256(randomBytes(4)))).toBeUndefined();
    const accel = createBlobStore({ ...loadConfig({ STORAGE_ACCEL_PREFIX: '/_blobs' }).storage, dir });
    expect((await accel.locate(sha256(Buffer.from('x'))))?.kind).toBe('path');
  });

  it('truncates the staged file back to offset after a failed append', async () => {
    const id = randomUUID();
    await store.startUpload(id);
    await store.appendUpload(id, 0, Readable.from([randomBytes(777)]));
    await expect(store.appendUpload(id, 777, failingBody(randomBytes(3 * 1024 * 1024)))).rejects.toThrow();
    expect((await stat(path.join(dir, 'uploads', id, 'data'))).size).toBe(777);
    await store.abortUpload(id);
    await expect(stat(path.join(dir, 'uploads', id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('creates nothing outside its directory for a traversal attempt', async () => {
    await expect(store.startUpload('../x')).rejects.toMatchObject({ name: 'InvalidUploadIdError' });
    await expect(stat(path.join(dir, 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(path.join(dir, 'uploads', '..', 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
