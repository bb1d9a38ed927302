// Behaviour only the S3 driver has (its key layout, presigned redirects, the UploadPartCopy
// fallback), run against whichever S3 server a test file started.
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, AbortMultipartUploadCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { S3BlobStore, type S3BlobStoreOptions } from '../src/index.ts';
import { failingBody, sha256 } from './blob-store.contract.ts';

const MiB = 1024 * 1024;

/** Asks the server itself whether it implements UploadPartCopy, so tests know which commit path runs. */
export async function probePartCopy(store: S3BlobStore): Promise<boolean> {
  const { client, bucket } = store;
  const source = `probe/${randomUUID()}/source`;
  const target = `probe/${randomUUID()}/target`;
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: Buffer.from('probe') }));
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target }));
  try {
    await client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: target, UploadId, PartNumber: 1, CopySource: `${bucket}/${source}` }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NotImplemented') return false;
    throw err;
  } finally {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId })).catch(() => undefined);
  }
}

async function keysUnder(store: S3BlobStore, prefix: string): Promise<string[]> {
  const res = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key ?? '');
}

export function s3DriverSuite(getStore: () => S3BlobStore, options: () => S3BlobStoreOptions, partCopy: () => boolean): void {
  it('stages one chunk object per append, keyed by zero-padded offset, and removes them on commit', async () => {
    const store = getStore();
    const id = randomUUID();
    await store.startUpload(id);
    const a = randomBytes(300);
    const b = randomBytes(200);
    await store.appendUpload(id, 0, Readable.from([a]));
    await store.appendUpload(id, 300, Readable.from([b]));
    const prefix = `${store.prefix}uploads/${id}/`;
    expect((await keysUnder(store, prefix)).sort()).toEqual([`${prefix}0000000000000000`, `${prefix}0000000000000300`, `${prefix}started`]);
    const digest = sha256(Buffer.concat([a, b]));
    await store.commitUpload(id, digest, 500);
    expect(await keysUnder(store, prefix)).toEqual([]);
    const hex = digest.slice('sha256:'.length);
    expect(await keysUnder(store, `${store.prefix}blobs/sha256/${hex.slice(0, 2)}/`)).toContain(`${store.prefix}blobs/sha256/${hex.slice(0, 2)}/${hex}`);
  });

  it('streams a long append as a multipart upload, and a long append that fails leaves nothing staged', async () => {
    const store = getStore();
    const id = randomUUID();
    await store.startUpload(id);
    const head = randomBytes(20 * MiB);
    expect(await store.appendUpload(id, 0, Readable.from([head.subarray(0, 7 * MiB), head.subarray(7 * MiB)]))).toEqual({ size: 20 * MiB });
    await expect(store.appendUpload(id, 20 * MiB, failingBody(randomBytes(12 * MiB)))).rejects.toThrow('client connection reset');
    const prefix = `${store.prefix}uploads/${id}/`;
    expect((await keysUnder(store, prefix)).sort()).toEqual([`${prefix}0000000000000000`, `${prefix}started`]);
    await expect(store.readUpload(id, 20 * MiB + 1)).rejects.toMatchObject({ name: 'InvalidOffsetError' });
    const digest = sha256(head);
    await store.commitUpload(id, digest, 20 * MiB);
    expect(await store.stat(digest)).toMatchObject({ exists: true, size: 20 * MiB });
    const read = await store.read(digest, { start: 8 * MiB - 1, end: 8 * MiB });
    if (!read.exists) throw new Error('absent');
    const got: Buffer[] = [];
    for await (const part of read.body) got.push(part as Buffer);
    expect(Buffer.concat(got).equals(head.subarray(8 * MiB - 1, 8 * MiB + 1))).toBe(true);
  });

  it('offers a presigned URL that serves the blob when redirects are on, and nothing when off', async () => {
    const store = getStore();
    const bytes = randomBytes(4096);
    const id = randomUUID();
    await store.startUpload(id);
    await store.appendUpload(id, 0, Readable.from([bytes]));
    const digest = sha256(bytes);
    await store.commitUpload(id, digest, bytes.length);
    expect(await store.locate(digest)).toBeUndefined();
    const redirecting = new S3BlobStore({ ...options(), redirect: true });
    try {
      const location = await redirecting.locate(digest);
      if (location?.kind !== 'url') throw new Error(`expected a URL, got ${JSON.stringify(location)}`);
      const res = await fetch(location.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await redirecting.close();
    }
  });

  it('joins large chunks server-side only where the server implements UploadPartCopy, and joins them either way', async () => {
    const store = new S3BlobStore(options());
    try {
      const chunks = [randomBytes(6 * MiB), randomBytes(5 * MiB), randomBytes(MiB)];
      const id = randomUUID();
      await store.startUpload(id);
      let size = 0;
      for (const chunk of chunks) size = (await store.appendUpload(id, size, Readable.from([chunk]))).size;
      const bytes = Buffer.concat(chunks);
      const digest = sha256(bytes);
      await store.commitUpload(id, digest, size);
      expect(store.partCopySupported).toBe(partCopy());
      const read = await store.read(digest);
      if (!read.exists) throw new Error('absent');
      const got: Buffer[] = [];
      for await (const chunk of read.body) got.push(chunk as Buffer);
      expect(sha256(Buffer.concat(got))).toBe(digest);
    } finally {
      await store.close();
    }
  });
}
