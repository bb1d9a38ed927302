// Runs the selected scenarios against one registry: start it, measure, and always stop it and
// remove its data, even when a scenario fails.
import { rm } from 'node:fs/promises';
import { BenchContext, type BenchSettings } from './context.ts';
import type { BlobPayload } from './payload.ts';
import { RegistryClient } from './registry-client.ts';
import type { ScenarioId } from './report/metrics.ts';
import { measurePull, measurePush } from './scenarios/blob-push.ts';
import { measureBlobHead, measureManifestGet } from './scenarios/request-load.ts';
import { measureTagsList } from './scenarios/tags-list.ts';
import { measureUploadMemory } from './scenarios/upload-memory.ts';
import { cpuSeconds, machineBusySeconds, rssMiB } from './proc-stats.ts';
import type { RunningServer } from './server/server-process.ts';

const scenarios: Record<ScenarioId, (ctx: BenchContext) => Promise<void>> = {
  push: (ctx) => measurePush(ctx, 'monolithic'),
  chunked: (ctx) => measurePush(ctx, 'chunked'),
  pull: measurePull,
  manifest: measureManifestGet,
  head: measureBlobHead,
  tags: measureTagsList,
  rss: measureUploadMemory,
};

export interface TargetResult {
  metrics: Record<string, number>;
  details: Record<string, unknown>;
  errors: string[];
  clientCpuSeconds: number;
  serverCpuSeconds: number;
  /** Cores kept busy on average by processes other than this registry and the client: the noise. */
  otherProcessesCores: number;
  wallSeconds: number;
  startupRssMiB: number;
}

export async function runTarget(
  start: () => Promise<RunningServer>,
  workDir: string,
  payload: BlobPayload,
  settings: BenchSettings,
  only: ScenarioId[],
): Promise<TargetResult> {
  const server = await start();
  const client = new RegistryClient(server.baseUrl);
  const ctx = new BenchContext(server, client, payload, settings);
  const clientCpu = process.cpuUsage();
  const startupRssMiB = rssMiB(server.pid);
  const busyBefore = machineBusySeconds();
  const serverCpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  let serverCpuSeconds = 0;
  let otherProcessesCores = 0;
  let wallSeconds = 0;
  try {
    for (const id of only) {
      try {
        await scenarios[id](ctx);
      } catch (err) {
        const message = `${id}: ${err instanceof Error ? err.message : String(err)}`;
        ctx.errors.push(message);
        console.error(`  [${server.name}] FAILED ${message}`);
      }
    }
    wallSeconds = (performance.now() - started) / 1000;
    serverCpuSeconds = cpuSeconds(server.pid) - serverCpuBefore;
    const used = process.cpuUsage(clientCpu);
    const others = machineBusySeconds() - busyBefore - serverCpuSeconds - (used.user + used.system) / 1e6;
    otherProcessesCores = Math.max(0, others / wallSeconds);
  } finally {
    client.close();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  const used = process.cpuUsage(clientCpu);
  return {
    metrics: ctx.metrics,
    details: ctx.details,
    errors: ctx.errors,
    clientCpuSeconds: (used.user + used.system) / 1e6,
    serverCpuSeconds,
    otherProcessesCores,
    wallSeconds,
    startupRssMiB,
  };
}
