// A yardstick taken in the benchmark process: single-core SHA-256 speed. Every registry hashes a blob
// as it arrives, so this bounds single-stream push throughput, and its drift between the start and
// the end of a run shows how busy the shared machine was.
import { createHash, randomFillSync } from 'node:crypto';
import { MiB } from '../stats.ts';

export function sha256MiBps(totalMiB = 128): number {
  const chunk = randomFillSync(Buffer.allocUnsafe(4 * MiB));
  const hash = createHash('sha256');
  const started = performance.now();
  for (let done = 0; done < totalMiB; done += 4) hash.update(chunk);
  hash.digest();
  return totalMiB / ((performance.now() - started) / 1000);
}
