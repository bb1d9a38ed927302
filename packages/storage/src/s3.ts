// S3 BlobStore: blobs at <prefix>blobs/<alg>/<2 hex>/<hex>, each append staged as its own chunk
// object <prefix>uploads/<id>/<offset>, joined at commit by server-side copy where S3 allows it.
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobRead, BlobStat, BlobStore, ByteRange, DirectLocation, LongCallOptions, StagedUpload, StoredBlob } from './blob-store.ts';
import { InvalidOffsetError, UploadNotFoundError } from './errors.ts';
import { contiguousEnd, covering, MAX_COPY, partCopyPlan, type PartCopy, type Piece, type StagedChunk } from './s3-chunks.ts';
import { blobRelativePath, checkCount, checkedUploadId, checkRange, digestOfRelativePath, isUploadId, STREAM_HIGH_WATER_MARK } from './layout.ts';

const MiB = 1024 * 1024;
/** Parts lib-storage buffers in memory per streamed upload: queue depth x part size is the bound. */
const STREAM_PART_SIZE = 8 * MiB;
const STREAM_QUEUE = 2;
const PART_COPY_CONCURRENCY = 4;
/** Presigned blob URLs live as long as CNCF Distribution's (20 minutes). */
const PRESIGN_SECONDS = 20 * 60;
const OFFSET_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits: lexical order = numeric order
const STARTED = 'started';

export interface S3BlobStoreOptions {
  endpoint: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
  /** locate() answers with a presigned GET URL (else undefined: the registry streams). */
  redirect: boolean;
  /** Key prefix ("" or ending in "/"), to share a bucket. */
  prefix?: string;
}

interface UploadListing {
  started: boolean;
  chunks: StagedChunk[];
  /** Every object under the upload's prefix: what abort and commit delete. */
  keys: string[];
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | null)?.name;
}
function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NotFound' || name === 'NoSuchKey' || httpStatus(err) === 404;
}
function isNotImplemented(err: unknown): boolean {
  return errorName(err) === 'NotImplemented' || httpStatus(err) === 501;
}

/** Encodes a key for x-amz-copy-source: segments escaped, slashes kept. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly #redirect: boolean;
  /** Cleared once the server answers UploadPartCopy with NotImplemented (s3rver does). */
  #partCopySupported = true;

  constructor(options: S3BlobStoreOptions) {
    const prefix = options.prefix ?? '';
    if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/'))) {
      throw new RangeError(`S3 key prefix must be empty or end with "/" (and not start with it), got "${prefix}"`);
    }
    this.prefix = prefix;
    this.bucket = options.bucket;
    this.#redirect = options.redirect;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Checksums only where S3 demands them: the newer default (streaming CRC trailers) is not
      // spoken by every S3-compatible server, and digests already guard blob integrity.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  #blobKey(digest: string): string {
    return `${this.prefix}blobs/${blobRelativePath(digest)}`;
  }

  #uploadPrefix(id: string): string {
    return `${this.prefix}uploads/${checkedUploadId(id)}/`;
  }

  /** False once the server has answered UploadPartCopy with NotImplemented: commits then stream. */
  get partCopySupported(): boolean {
    return this.#partCopySupported;
  }

  #chunkKey(uploadPrefix: string, offset: number): string {
    return uploadPrefix + String(offset).padStart(OFFSET_DIGITS, '0');
  }

  async stat(digest: string): Promise<BlobStat> {
    const Key = this.#blobKey(digest);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { exists: true, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return { exists: false };
      throw err;
    }
  }

  async *listBlobs(options?: LongCallOptions): AsyncIterable<StoredBlob> {
    const root = `${this.prefix}blobs/`;
    for await (const object of this.#walk(root, options?.signal)) {
      const digest = digestOfRelativePath(object.key.slice(root.length));
      if (digest !== undefined) yield { digest, size: object.size, modifiedAt: object.modifiedAt };
    }
  }

  async *listUploads(options?: LongCallOptions): AsyncIterable<StagedUpload> {
    const root = `${this.prefix}uploads/`;
    // Keys come in order, so one upload's objects are consecutive: its newest object dates it.
    let current: StagedUpload | undefined;
    for await (const object of this.#walk(root, options?.signal)) {
      const id = object.key.slice(root.length).split('/')[0] ?? '';
      if (!isUploadId(id)) continue;
      if (current && current.id !== id) {
        yield current;
        current = undefined;
      }
      if (!current) current = { id, modifiedAt: object.modifiedAt };
      else if (object.modifiedAt > current.modifiedAt) current.modifiedAt = object.modifiedAt;
    }
    if (current) yield current;
  }

  /** Every object under a prefix, page by page. */
  async *#walk(prefix: string, signal: AbortSignal | undefined): AsyncIterable<{ key: string; size: number; modifiedAt: Date }> {
    let ContinuationToken: string | undefined;
    do {
      signal?.throwIfAborted();
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async read(digest: string, range?: ByteRange): Promise<BlobRead> {
    const Key = this.#blobKey(digest);
    if (range) checkRange(range);
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
    } catch (err) {
      if (isNotFound(err)) return { exists: false };
      throw err;
    }
    const body = res.Body;
    if (!(body instanceof Readable)) throw new Error(`S3 GetObject for ${Key} returned no stream body`);
    // A ranged answer carries the whole object's size only in Content-Range ("bytes a-b/total").
    const answered = res.ContentRange ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange) : null;
    const total = answered ? Number(answered[3]) : res.ContentLength;
    if (total === undefined || !Number.isSafeInteger(total)) {
      body.destroy();
      throw new Error(`S3 GetObject for ${Key} returned no usable size`);
    }
    if (!range) return { exists: true, size: total, body };
    const start = answered ? Number(answered[1]) : 0;
    const end = answered ? Number(answered[2]) : total - 1;
    const wantedEnd = Math.min(range.end, total - 1);
    if (start !== range.start || end < wantedEnd) {
      body.destroy();
      throw new Error(`S3 answered bytes ${start}-${end} of ${Key} for a request of ${range.start}-${range.end}`);
    }
    // Some S3-compatible servers (s3rver for "bytes=0-0") answer more than was asked: cut it to the range.
    return { exists: true, size: total, body: end > wantedEnd ? take(body, wantedEnd - start + 1) : body };
  }

  async locate(digest: string): Promise<DirectLocation | undefined> {
    const Key = this.#blobKey(digest);
    if (!this.#redirect) return undefined;
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key }), { expiresIn: PRESIGN_SECONDS });
    return { kind: 'url', url };
  }

  async delete(digest: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#blobKey(digest) }));
  }

  async startUpload(id: string): Promise<void> {
    // An empty marker object, so that an upload with no bytes yet is told apart from an unknown one.
    const Key = this.#uploadPrefix(id) + STARTED;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: new Uint8Array(0) }));
  }

  async appendUpload(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ size: number }> {
    checkCount('offset', offset);
    const uploadPrefix = this.#uploadPrefix(id);
    const listing = await this.#list(id, uploadPrefix);
    const kept = listing.chunks.filter((c) => c.offset < offset);
    // Checked before anything is deleted, so a bad offset changes nothing.
    const stagedEnd = contiguousEnd(kept);
    if (stagedEnd !== offset) throw new InvalidOffsetError(id, offset, stagedEnd);
    // Chunks at or past offset are the remains of appends the caller never recorded: drop them.
    await this.#deleteKeys(listing.chunks.filter((c) => c.offset >= offset).map((c) => c.key));

    const Key = this.#chunkKey(uploadPrefix, offset);
    let received = 0;
    const counter = new Transform({
      highWaterMark: STREAM_HIGH_WATER_MARK,
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(null, chunk);
      },
    });
    // The length is unknown up front, so lib-storage buffers at most STREAM_QUEUE parts, sends a
    // single PutObject for a short body and a multipart upload for a long one.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counter },
      partSize: STREAM_PART_SIZE,
      queueSize: STREAM_QUEUE,
      leavePartsOnError: false,
    });
    // lib-storage holds chunks until a part is full, past the point where the caller reuses them: copy.
    const piped = pipeline(copies(body), counter);
    const uploaded = upload.done().catch((err: unknown) => {
      counter.destroy(err as Error); // unblocks the pipeline, which then destroys the body
      throw err;
    });
    const [pipeResult, uploadResult] = await Promise.allSettled([piped, uploaded]);
    if (pipeResult.status === 'rejected' || uploadResult.status === 'rejected') {
      // Make sure no chunk stands at offset, so the staged size stays offset.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => undefined);
      throw pipeResult.status === 'rejected' ? pipeResult.reason : (uploadResult as PromiseRejectedResult).reason;
    }
    return { size: offset + received };
  }

  async readUpload(id: string, size: number): Promise<Readable> {
    checkCount('size', size);
    const listing = await this.#list(id, this.#uploadPrefix(id));
    const pieces = covering(id, listing.chunks, size);
    return this.#concatenate(pieces);
  }

  async commitUpload(id: string, digest: string, size: number): Promise<void> {
    checkCount('size', size);
    const Key = this.#blobKey(digest);
    const uploadPrefix = this.#uploadPrefix(id);
    if ((await this.stat(digest)).exists) {
      await this.#deleteKeys((await this.#list(id, uploadPrefix, false)).keys);
      return;
    }
    const listing = await this.#list(id, uploadPrefix);
    const pieces = covering(id, listing.chunks, size);
    const [first] = pieces;
    const plan = this.#partCopySupported ? partCopyPlan(pieces) : undefined;
    // Every path below creates the object in one step (PutObject, CopyObject or
    // CompleteMultipartUpload), so readers see the whole blob or none.
    if (first === undefined) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: new Uint8Array(0) }));
    } else if (pieces.length === 1 && first.length === first.size && size <= MAX_COPY) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource: copySource(this.bucket, first.key) }));
    } else if (plan !== undefined) {
      try {
        await this.#multipartCopy(Key, plan);
      } catch (err) {
        if (!isNotImplemented(err)) throw err;
        this.#partCopySupported = false;
        await this.#streamConcatenation(Key, pieces);
      }
    } else {
      await this.#streamConcatenation(Key, pieces);
    }
    await this.#deleteKeys(listing.keys);
  }

  async abortUpload(id: string): Promise<void> {
    await this.#deleteKeys((await this.#list(id, this.#uploadPrefix(id), false)).keys);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Lists an upload's objects; with `mustExist`, an upload with neither marker nor chunks is unknown. */
  async #list(id: string, uploadPrefix: string, mustExist = true): Promise<UploadListing> {
    const listing: UploadListing = { started: false, chunks: [], keys: [] };
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: uploadPrefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        listing.keys.push(object.Key);
        const name = object.Key.slice(uploadPrefix.length);
        if (name === STARTED) listing.started = true;
        else if (/^\d{16}$/.test(name)) listing.chunks.push({ key: object.Key, offset: Number(name), size: object.Size ?? 0 });
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    if (mustExist && !listing.started && listing.chunks.length === 0) throw new UploadNotFoundError(id);
    listing.chunks.sort((a, b) => a.offset - b.offset);
    return listing;
  }

  async #deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`S3 could not delete ${failed.length} staged object(s), first ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message}`);
      }
    }
  }

  /** The pieces' bytes in order, fetched one chunk object at a time as the reader pulls. */
  #concatenate(pieces: Piece[]): Readable {
    const { client, bucket } = this;
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (const piece of pieces) {
        const res = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: piece.key,
            ...(piece.length < piece.size ? { Range: `bytes=0-${piece.length - 1}` } : {}),
          }),
        );
        if (!(res.Body instanceof Readable)) throw new Error(`S3 GetObject for ${piece.key} returned no stream body`);
        yield* res.Body;
      }
    }
    return Readable.from(bytes(), { objectMode: false, highWaterMark: STREAM_HIGH_WATER_MARK });
  }

  async #streamConcatenation(Key: string, pieces: Piece[]): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: this.#concatenate(pieces) },
      partSize: STREAM_PART_SIZE,
      queueSize: STREAM_QUEUE,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /** Builds the object server-side from byte ranges of the chunk objects (UploadPartCopy). */
  async #multipartCopy(Key: string, parts: PartCopy[]): Promise<void> {
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error(`S3 CreateMultipartUpload for ${Key} returned no UploadId`);
    try {
      const completed: CompletedPart[] = new Array(parts.length);
      for (let i = 0; i < parts.length; i += PART_COPY_CONCURRENCY) {
        await Promise.all(
          parts.slice(i, i + PART_COPY_CONCURRENCY).map(async (part, j) => {
            const PartNumber = i + j + 1;
            const res = await this.client.send(
              new UploadPartCopyCommand({
                Bucket: this.bucket,
                Key,
                UploadId,
                PartNumber,
                CopySource: copySource(this.bucket, part.key),
                CopySourceRange: `bytes=${part.start}-${part.end}`,
              }),
            );
            completed[PartNumber - 1] = { PartNumber, ETag: res.CopyPartResult?.ETag };
          }),
        );
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: completed } }),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw err;
    }
  }
}

/** The first n bytes of source, which is destroyed once they are read. */
function take(source: Readable, n: number): Readable {
  async function* firstBytes(): AsyncGenerator<Uint8Array> {
    let left = n;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (chunk.length >= left) {
        yield chunk.subarray(0, left);
        return;
      }
      left -= chunk.length;
      yield chunk;
    }
  }
  return Readable.from(firstBytes(), { objectMode: false, highWaterMark: STREAM_HIGH_WATER_MARK });
}

/** Yields a copy of each chunk, taken before the next one is asked for. */
async function* copies(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of body) yield Buffer.from(chunk);
}
