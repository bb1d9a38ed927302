// Filesystem BlobStore: content-addressed files under <dir>/blobs, uploads staged under <dir>/uploads,
// committed by fsync + rename so a blob file is either absent or complete.
import { mkdir, open, opendir, rename, rm, stat, truncate, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileReadStream } from './file-read-stream.ts';
import type { BlobRead, BlobStat, BlobStore, ByteRange, DirectLocation, LongCallOptions, StagedUpload, StoredBlob } from './blob-store.ts';
import { InvalidOffsetError, UploadNotFoundError } from './errors.ts';
import { blobRelativePath, checkCount, checkedUploadId, checkRange, digestOfRelativePath, isUploadId } from './layout.ts';

export interface FilesystemBlobStoreOptions {
  /** Root directory: blobs/ and uploads/ are created beneath it. */
  dir: string;
  /**
   * Whether locate() offers blob paths for NGINX X-Accel-Redirect. Only true when an NGINX
   * internal location serves <dir>/blobs (STORAGE_ACCEL_PREFIX set); otherwise the registry streams.
   */
  accelRedirect: boolean;
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export class FilesystemBlobStore implements BlobStore {
  readonly blobsDir: string;
  readonly uploadsDir: string;
  readonly #accelRedirect: boolean;

  constructor(options: FilesystemBlobStoreOptions) {
    const root = path.resolve(options.dir);
    this.blobsDir = path.join(root, 'blobs');
    this.uploadsDir = path.join(root, 'uploads');
    this.#accelRedirect = options.accelRedirect;
  }

  #blobPath(digest: string): string {
    return path.join(this.blobsDir, blobRelativePath(digest));
  }

  #uploadDir(id: string): string {
    return path.join(this.uploadsDir, checkedUploadId(id));
  }

  /** Current length of the staged file; UploadNotFoundError when the upload has no staging. */
  async #stagedLength(id: string, dataPath: string): Promise<number> {
    try {
      return (await stat(dataPath)).size;
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw new UploadNotFoundError(id);
      throw err;
    }
  }

  async stat(digest: string): Promise<BlobStat> {
    try {
      const s = await stat(this.#blobPath(digest));
      return { exists: true, size: s.size, modifiedAt: s.mtime };
    } catch (err) {
      if (isCode(err, 'ENOENT')) return { exists: false };
      throw err;
    }
  }

  async *listBlobs(options?: LongCallOptions): AsyncIterable<StoredBlob> {
    for (const algorithm of await entries(this.blobsDir, options?.signal)) {
      for (const fanout of await entries(path.join(this.blobsDir, algorithm), options?.signal)) {
        for (const hex of await entries(path.join(this.blobsDir, algorithm, fanout), options?.signal)) {
          const digest = digestOfRelativePath(`${algorithm}/${fanout}/${hex}`);
          if (digest === undefined) continue;
          const s = await this.stat(digest);
          if (s.exists) yield { digest, size: s.size, modifiedAt: s.modifiedAt };
        }
      }
    }
  }

  async *listUploads(options?: LongCallOptions): AsyncIterable<StagedUpload> {
    for (const id of await entries(this.uploadsDir, options?.signal)) {
      if (!isUploadId(id)) continue;
      try {
        const s = await stat(path.join(this.uploadsDir, id));
        let modifiedAt = s.mtime;
        // Appends change the data file, not its directory.
        const data = await stat(path.join(this.uploadsDir, id, 'data')).catch(() => undefined);
        if (data && data.mtime > modifiedAt) modifiedAt = data.mtime;
        yield { id, modifiedAt };
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
      }
    }
  }

  async read(digest: string, range?: ByteRange): Promise<BlobRead> {
    const file = this.#blobPath(digest);
    if (range) checkRange(range);
    // Open first, then fstat: a concurrent delete cannot pull the file out between size and bytes.
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isCode(err, 'ENOENT')) return { exists: false };
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const body = new FileReadStream(handle, range?.start ?? 0, range ? range.end + 1 : size);
      return { exists: true, size, body };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async locate(digest: string): Promise<DirectLocation | undefined> {
    const relative = blobRelativePath(digest);
    return this.#accelRedirect ? { kind: 'path', path: relative } : undefined;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.#blobPath(digest), { force: true });
  }

  async startUpload(id: string): Promise<void> {
    const dir = this.#uploadDir(id);
    await mkdir(dir, { recursive: true });
    // Flag 'a' creates the file without truncating it, so a retried start cannot lose bytes.
    await appendFile(path.join(dir, 'data'), new Uint8Array(0));
  }

  async appendUpload(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ size: number }> {
    checkCount('offset', offset);
    const dataPath = path.join(this.#uploadDir(id), 'data');
    const staged = await this.#stagedLength(id, dataPath);
    if (staged < offset) throw new InvalidOffsetError(id, offset, staged);
    // Bytes past offset are the remains of an append the caller never recorded: drop them.
    if (staged > offset) await truncate(dataPath, offset);
    const handle = await open(dataPath, 'r+');
    let position = offset;
    try {
      // Each chunk is written before the next is asked for: the caller may then reuse its memory.
      for await (const chunk of body) {
        for (let done = 0; done < chunk.length; ) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
          done += bytesWritten;
        }
        position += chunk.length;
      }
    } catch (err) {
      await handle.close();
      await truncate(dataPath, offset);
      throw err;
    }
    await handle.close();
    return { size: position };
  }

  async readUpload(id: string, size: number): Promise<Readable> {
    checkCount('size', size);
    const dataPath = path.join(this.#uploadDir(id), 'data');
    const staged = await this.#stagedLength(id, dataPath);
    if (staged < size) throw new InvalidOffsetError(id, size, staged);
    if (size === 0) return Readable.from([]);
    const handle = await open(dataPath, 'r');
    return new FileReadStream(handle, 0, size);
  }

  async commitUpload(id: string, digest: string, size: number): Promise<void> {
    checkCount('size', size);
    const target = this.#blobPath(digest);
    const dir = this.#uploadDir(id);
    const dataPath = path.join(dir, 'data');
    if ((await this.stat(digest)).exists) {
      await rm(dir, { recursive: true, force: true });
      return;
    }
    const staged = await this.#stagedLength(id, dataPath);
    if (staged < size) throw new InvalidOffsetError(id, size, staged);
    const handle = await open(dataPath, 'r+');
    try {
      if (staged > size) await handle.truncate(size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const targetDir = path.dirname(target);
    await mkdir(targetDir, { recursive: true });
    // rename(2) is atomic: readers see no file or the whole one. A concurrent commit of the same
    // digest renames identical bytes over it, which is just as whole.
    try {
      await rename(dataPath, target);
    } catch (err) {
      // Lost a race with a commit of the same upload id: the blob is there, our staging is gone.
      if (isCode(err, 'ENOENT') && (await this.stat(digest)).exists) return;
      throw err;
    }
    await syncDirectory(targetDir);
    await rm(dir, { recursive: true, force: true });
  }

  async abortUpload(id: string): Promise<void> {
    await rm(this.#uploadDir(id), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    // Nothing held open between calls: every stream closes its own file handle.
  }
}

/** Names in a directory, sorted (none when it does not exist); checks the signal first. */
async function entries(dir: string, signal: AbortSignal | undefined): Promise<string[]> {
  signal?.throwIfAborted();
  const names: string[] = [];
  try {
    const handle = await opendir(dir);
    for await (const entry of handle) names.push(entry.name);
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
    throw err;
  }
  return names.sort();
}

/** fsync a directory so the rename that put a blob in it survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
