// Server peak RSS while 32 monolithic 256 MiB uploads run at once (VmHWM reset before, VmRSS
// sampled during), plus the aggregate throughput and CPU of that burst.
import type { BenchContext } from '../context.ts';
import { blobVariant } from '../payload.ts';
import { cpuSeconds, peakRssMiB, resetPeakRss, rssMiB, RssSampler } from '../proc-stats.ts';
import { pushMonolithic } from '../registry-client.ts';
import { GiB, MiB, round } from '../stats.ts';

export async function measureUploadMemory(ctx: BenchContext): Promise<void> {
  const { server, payload, client } = ctx;
  const n = ctx.settings.concurrentUploads;
  const blobs = Array.from({ length: n }, () => blobVariant(payload, ctx.nextBlobIndex()));
  const rssBefore = rssMiB(server.pid);
  const reset = resetPeakRss(server.pid);
  const sampler = new RssSampler(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  let sampled: { maxMiB: number; samples: number };
  try {
    await Promise.all(blobs.map((blob, i) => pushMonolithic(client, `bench/concurrent-${i % 4}`, payload, blob)));
  } finally {
    sampled = sampler.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const hwm = peakRssMiB(server.pid);
  // Without a reset, VmHWM may hold an earlier scenario's peak: then only the samples count.
  const peak = reset ? Math.max(hwm, sampled.maxMiB) : sampled.maxMiB;
  const bytes = n * payload.blobSize;
  ctx.record('rss.peakMiB', peak);
  ctx.record('rss.concurrent.mibps', bytes / MiB / seconds);
  ctx.record('rss.concurrent.cpuPerGiB', cpu / (bytes / GiB));
  ctx.details.rss = { uploads: n, rssBeforeMiB: round(rssBefore), vmHwmMiB: round(hwm), hwmReset: reset, sampledMaxMiB: round(sampled.maxMiB), samples: sampled.samples, seconds: round(seconds, 2) };
  ctx.log(`${n} concurrent uploads: peak RSS ${round(peak)} MiB (before ${round(rssBefore)}), ${round(bytes / MiB / seconds)} MiB/s aggregate`);
}
