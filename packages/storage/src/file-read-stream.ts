// A byte range of an open file as a Readable whose pipe() reuses two buffers instead of
// allocating one per chunk, which is most of what serving a large blob from node costs.
import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** Bytes per read; two such buffers per pipe, so at most 2 MiB in flight per blob response. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams bytes [start, endExclusive) of handle and closes it when done or destroyed.
 *
 * pipe() does not go through the Readable buffer: it reads into one of two buffers it owns,
 * writes it with a callback and reuses it only once that write has completed (for a socket:
 * the bytes are in the kernel), so a 256 MiB pull touches 2 MiB of user memory instead of
 * faulting in 256 fresh buffers. Async iteration and 'data' listeners get fresh buffers as
 * usual. A file shorter than the range fails the stream rather than sending fewer bytes.
 */
export class FileReadStream extends Readable {
  #position: number;
  #pumping = false;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly endExclusive: number,
  ) {
    super({ highWaterMark: FILE_CHUNK_BYTES });
    this.#position = start;
  }

  override _read(): void {
    const want = Math.min(FILE_CHUNK_BYTES, this.endExclusive - this.#position);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const chunk = Buffer.allocUnsafe(want);
    this.#readInto(chunk, want).then(
      (n) => this.push(n === want ? chunk : chunk.subarray(0, n)),
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(err),
      (closeErr: Error) => callback(err ?? closeErr),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only a fresh stream into a Writable with write callbacks takes the pump; anything else
    // (a second pipe, a stream already read from) gets the ordinary Readable behaviour.
    if (this.#pumping || this.readableFlowing !== null || this.readableLength > 0 || !isWritable(destination)) return super.pipe(destination, options);
    this.#pumping = true;
    this.#pump(destination, options?.end !== false).catch((err: Error) => this.destroy(err));
    return destination;
  }

  async #pump(dest: Writable, end: boolean): Promise<void> {
    const buffers = [Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES), Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES)];
    const writing: (Promise<void> | undefined)[] = [undefined, undefined];
    // A destination that goes away (client disconnect) stops the pump instead of reading on.
    let gone: Error | undefined;
    const onClose = (): void => {
      gone ??= new Error('destination closed before the blob was sent');
    };
    dest.once('close', onClose);
    try {
      for (let i = 0; this.#position < this.endExclusive; i ^= 1) {
        await writing[i];
        if (gone) throw gone;
        if (this.destroyed) return;
        const buffer = buffers[i] as Buffer;
        const want = Math.min(FILE_CHUNK_BYTES, this.endExclusive - this.#position);
        const n = await this.#readInto(buffer, want);
        writing[i] = new Promise<void>((resolve, reject) => {
          dest.write(buffer.subarray(0, n), (err) => (err ? reject(err) : resolve()));
        });
        // An unhandled rejection must not escape while the other buffer is being filled.
        writing[i]?.catch(() => undefined);
      }
      await Promise.all(writing);
    } finally {
      dest.removeListener('close', onClose);
    }
    // Everything is written: end as a Readable does, so finished()/eos see a normal end.
    this.push(null);
    this.resume();
    if (end) dest.end();
  }

  /** Reads exactly want bytes at the current position (fewer only at end of file: an error). */
  async #readInto(buffer: Buffer, want: number): Promise<number> {
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await this.handle.read(buffer, filled, want - filled, this.#position + filled);
      if (bytesRead === 0) throw new Error(`file ended ${this.endExclusive - this.#position - filled} bytes before the requested range`);
      filled += bytesRead;
    }
    this.#position += filled;
    return filled;
  }
}

function isWritable(dest: NodeJS.WritableStream): dest is NodeJS.WritableStream & Writable {
  return typeof (dest as Partial<Writable>).write === 'function' && typeof (dest as Partial<Writable>).once === 'function';
}
