// FileReadStream: exact bytes whether piped (two reused buffers) or iterated, and a clean stop
// when the destination goes away or the file is shorter than the range.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, FileReadStream } from '../src/file-read-stream.ts';

const MiB = 1024 * 1024;
let dir: string;
let file: string;
let content: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ds-file-stream-'));
  file = path.join(dir, 'blob');
  content = randomBytes(5 * MiB + 12345);
  await writeFile(file, content);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/**
 * A destination that acknowledges each write only later, and reads the chunk's bytes at that
 * moment: a buffer reused before its write completed would show up as corrupted output.
 */
class SlowSink extends Writable {
  readonly parts: Buffer[] = [];
  pending = 0;
  maxPending = 0;
  constructor(private readonly delayMs: number) {
    super({ highWaterMark: 1 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending++;
    this.maxPending = Math.max(this.maxPending, this.pending);
    setTimeout(() => {
      this.parts.push(Buffer.from(chunk));
      this.pending--;
      cb();
    }, this.delayMs);
  }
}

async function openStream(start: number, endExclusive: number): Promise<{ stream: FileReadStream; fd: () => number }> {
  const handle = await open(file, 'r');
  return { stream: new FileReadStream(handle, start, endExclusive), fd: () => handle.fd };
}

describe('FileReadStream', () => {
  it('pipes a whole file byte for byte through a slow destination, ends it and closes the file', async () => {
    const { stream, fd } = await openStream(0, content.length);
    const sink = new SlowSink(2);
    stream.pipe(sink);
    await finished(sink);
    await finished(stream);
    expect(Buffer.concat(sink.parts).equals(content)).toBe(true);
    expect(sink.parts.every((p) => p.length <= FILE_CHUNK_BYTES)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(fd()).toBe(-1);
  });

  it('pipes a range that starts and ends inside chunks', async () => {
    const start = MiB - 7;
    const end = 3 * MiB + 999;
    const { stream } = await openStream(start, end);
    const sink = new SlowSink(0);
    stream.pipe(sink);
    await finished(sink);
    expect(Buffer.concat(sink.parts).equals(content.subarray(start, end))).toBe(true);
  });

  it('yields the same bytes to async iteration, in fresh buffers', async () => {
    const { stream } = await openStream(100, content.length - 100);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(content.subarray(100, content.length - 100))).toBe(true);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  });

  it('stops reading and closes the file when the destination is destroyed midway', async () => {
    const { stream, fd } = await openStream(0, content.length);
    const sink = new SlowSink(5);
    stream.pipe(sink);
    await new Promise((r) => setTimeout(r, 8));
    sink.destroy();
    await expect(finished(stream)).rejects.toThrow();
    expect(stream.destroyed).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(fd()).toBe(-1);
    expect(Buffer.concat(sink.parts).length).toBeLessThan(content.length);
  });

  it('fails instead of sending fewer bytes when the file is shorter than the range', async () => {
    const { stream } = await openStream(content.length - 10, content.length + 10);
    const sink = new SlowSink(0);
    stream.pipe(sink);
    await expect(finished(stream)).rejects.toThrow(/before the requested range/);
  });
});
