// Server peak RSS while 32 monolithic 256 MiB uploads run at once: the registry process's own (VmHWM
// reset before, VmRSS sampled during), and beside it every other server-side process's (its
// children, NGINX, Postgres, NATS) and their sum; plus the aggregate throughput and CPU of that burst.
import type { BenchContext } from '../context.ts';
import { blobVariant } from '../payload.ts';
import { pushMonolithic } from '../registry-client.ts';
import { CpuMeter, registryRssMiB, ServerRssSampler } from '../server-side.ts';
import { GiB, MiB, round } from '../stats.ts';

export async function measureUploadMemory(ctx: BenchContext): Promise<void> {
  const { server, payload, client } = ctx;
  const n = ctx.settings.concurrentUploads;
  const blobs = Array.from({ length: n }, () => blobVariant(payload, ctx.nextBlobIndex()));
  const rssBefore = registryRssMiB(server.processes);
  const cpu = new CpuMeter(server.processes);
  const sampler = new ServerRssSampler(server.processes);
  cpu.start();
  const started = performance.now();
  let rss: ReturnType<ServerRssSampler['stop']>;
  try {
    await Promise.all(blobs.map((blob, i) => pushMonolithic(client, `bench/concurrent-${i % 4}`, payload, blob)));
  } finally {
    rss = sampler.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  cpu.stop();
  const bytes = n * payload.blobSize;
  ctx.record('rss.peakMiB', rss.registryMiB);
  if (rss.registryChildrenMiB !== undefined) ctx.record('rss.childrenPeakMiB', rss.registryChildrenMiB);
  for (const [role, mib] of Object.entries(rss.groupsMiB)) ctx.record(`rss.${role}PeakMiB`, mib);
  ctx.record('rss.totalPeakMiB', rss.totalMiB);
  ctx.record('rss.concurrent.mibps', bytes / MiB / seconds);
  ctx.record('rss.concurrent.cpuPerGiB', cpu.totalSeconds() / (bytes / GiB));
  ctx.details.rss = {
    uploads: n,
    registryRssBeforeMiB: round(rssBefore),
    registryPeakMiB: round(rss.registryMiB),
    hwmReset: rss.hwmReset,
    registryChildrenPeakMiB: rss.registryChildrenMiB === undefined ? null : round(rss.registryChildrenMiB),
    otherGroupsPeakMiB: Object.fromEntries(Object.entries(rss.groupsMiB).map(([k, v]) => [k, round(v)])),
    totalPeakMiB: round(rss.totalMiB),
    samples: rss.samples,
    seconds: round(seconds, 2),
    serverSecondsPerGiBByProcess: cpu.secondsByGroup(bytes / GiB),
  };
  const others = [
    ...(rss.registryChildrenMiB !== undefined ? [`registry's children ${round(rss.registryChildrenMiB)}`] : []),
    ...Object.entries(rss.groupsMiB).map(([role, mib]) => `${role} ${round(mib)}`),
  ];
  ctx.log(
    `${n} concurrent uploads: registry peak RSS ${round(rss.registryMiB)} MiB (before ${round(rssBefore)})` +
      `${others.length > 0 ? `, ${others.join(', ')} MiB` : ''}, all processes ${round(rss.totalMiB)} MiB; ${round(bytes / MiB / seconds)} MiB/s aggregate`,
  );
}
