// 256 MiB blob pushes, monolithic (POST + PUT ?digest) and chunked (PATCH per 8 MiB), timed from the
// POST to the 201; throughput is the median of the trials, CPU is the utime+stime of every server-side process per GiB.
import { createHash } from 'node:crypto';
import type { BenchContext } from '../context.ts';
import { blobVariant } from '../payload.ts';
import { pullBlob, pushChunked, pushMonolithic } from '../registry-client.ts';
import { CpuMeter } from '../server-side.ts';
import { GiB, MiB, median, round } from '../stats.ts';

export type PushMode = 'monolithic' | 'chunked';

export async function measurePush(ctx: BenchContext, mode: PushMode): Promise<void> {
  const repo = `bench/push-${mode}`;
  const { payload, settings, client, server } = ctx;
  const throughputs: number[] = [];
  const cpu = new CpuMeter(server.processes);
  let bytes = 0;
  for (let trial = 0; trial < settings.trials; trial++) {
    const blob = blobVariant(payload, ctx.nextBlobIndex());
    cpu.start();
    const started = performance.now();
    if (mode === 'monolithic') await pushMonolithic(client, repo, payload, blob);
    else await pushChunked(client, repo, payload, blob, settings.chunkSize);
    const seconds = (performance.now() - started) / 1000;
    cpu.stop();
    bytes += blob.size;
    throughputs.push(blob.size / MiB / seconds);
    ctx.pushedBlob ??= { repo, digest: blob.digest, size: blob.size };
  }
  const key = mode === 'monolithic' ? 'push' : 'chunked';
  record(ctx, key, `${mode} push`, throughputs, cpu, bytes);
}

function record(ctx: BenchContext, key: string, what: string, throughputs: number[], meter: CpuMeter, bytes: number): void {
  const gib = bytes / GiB;
  const cpu = meter.total();
  ctx.record(`${key}.mibps`, median(throughputs));
  ctx.record(`${key}.cpuPerGiB`, (cpu.user + cpu.system) / gib);
  const perGroup = meter.secondsByGroup(gib);
  ctx.details[key] = {
    trialsMiBps: throughputs.map((t) => round(t)),
    serverUserSecondsPerGiB: round(cpu.user / gib, 2),
    serverSystemSecondsPerGiB: round(cpu.system / gib, 2),
    serverSecondsPerGiBByProcess: perGroup,
    bytes,
  };
  const groups = Object.keys(perGroup).length > 1 ? `; by process: ${Object.entries(perGroup).map(([role, s]) => `${role} ${s}`).join(', ')}` : '';
  ctx.log(
    `${what}: ${throughputs.map((t) => round(t)).join(', ')} MiB/s; ${round((cpu.user + cpu.system) / gib, 2)} CPU-s/GiB ` +
      `(user ${round(cpu.user / gib, 2)}, system ${round(cpu.system / gib, 2)}${groups})`,
  );
}

/** Pulls a pushed blob once, hashing it, so timed pulls are known to return the right bytes. */
async function verifiedBlob(ctx: BenchContext): Promise<{ repo: string; digest: string; size: number }> {
  if (!ctx.pushedBlob) {
    const blob = blobVariant(ctx.payload, ctx.nextBlobIndex());
    await pushMonolithic(ctx.client, 'bench/pull', ctx.payload, blob);
    ctx.pushedBlob = { repo: 'bench/pull', digest: blob.digest, size: blob.size };
  }
  const { repo, digest, size } = ctx.pushedBlob;
  const hash = createHash('sha256');
  const got = await pullBlob(ctx.client, repo, digest, (chunk) => hash.update(chunk));
  const actual = `sha256:${hash.digest('hex')}`;
  if (got !== size || actual !== digest) throw new Error(`pulled ${got} bytes with ${actual}, expected ${size} bytes with ${digest}`);
  return ctx.pushedBlob;
}

export async function measurePull(ctx: BenchContext): Promise<void> {
  const { repo, digest, size } = await verifiedBlob(ctx);
  const throughputs: number[] = [];
  const cpu = new CpuMeter(ctx.server.processes);
  let bytes = 0;
  for (let trial = 0; trial < ctx.settings.trials; trial++) {
    cpu.start();
    const started = performance.now();
    const got = await pullBlob(ctx.client, repo, digest);
    const seconds = (performance.now() - started) / 1000;
    cpu.stop();
    if (got !== size) throw new Error(`pull returned ${got} bytes, expected ${size}`);
    bytes += got;
    throughputs.push(got / MiB / seconds);
  }
  record(ctx, 'pull', 'pull', throughputs, cpu, bytes);
}
