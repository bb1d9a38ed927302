// One registry under test: started once, then given one scenario at a time (so the registries can
// take turns per scenario), and always stopped with its data removed, even when a scenario fails.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { BenchContext, type BenchSettings } from './context.ts';
import type { BlobPayload } from './payload.ts';
import { machineBusySeconds } from './proc-stats.ts';
import { RegistryClient } from './registry-client.ts';
import type { ScenarioId } from './report/metrics.ts';
import { measurePull, measurePush } from './scenarios/blob-push.ts';
import { measureBlobHead, measureManifestGet } from './scenarios/request-load.ts';
import { measureTagsList } from './scenarios/tags-list.ts';
import { measureUploadMemory } from './scenarios/upload-memory.ts';
import { CpuMeter, freeze, registryRssMiB, thaw } from './server-side.ts';
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
  /** Time spent in this registry's scenarios. */
  wallSeconds: number;
  /** Every server-side process of the target (children, NGINX, Postgres, NATS included). */
  serverCpuSeconds: number;
  /** serverCpuSeconds per process group. */
  serverCpuSecondsByProcess: Record<string, number>;
  clientCpuSeconds: number;
  /** Cores kept busy on average, during this registry's scenarios, by processes other than it and the client: the noise. */
  otherProcessesCores: number;
  startupRssMiB: number;
  readySeconds: number;
}

/** Writes dirty pages out so one registry's disk writes do not slow the next measurement. */
function flushDisks(): void {
  try {
    execFileSync('sync', { timeout: 120_000 });
  } catch {
    // Not fatal: the numbers only get noisier.
  }
}

export class TargetRun {
  private readonly ctx: BenchContext;
  private readonly client: RegistryClient;
  private readonly startupRssMiB: number;
  private readonly serverCpu: CpuMeter;
  private wallSeconds = 0;
  private clientCpuSeconds = 0;
  private otherSeconds = 0;

  private constructor(private readonly server: RunningServer, private readonly workDir: string, payload: BlobPayload, settings: BenchSettings) {
    this.client = new RegistryClient(server.baseUrl);
    this.ctx = new BenchContext(server, this.client, payload, settings);
    this.serverCpu = new CpuMeter(server.processes);
    this.startupRssMiB = registryRssMiB(server.processes);
  }

  static async start(start: () => Promise<RunningServer>, workDir: string, payload: BlobPayload, settings: BenchSettings): Promise<TargetRun> {
    return new TargetRun(await start(), workDir, payload, settings);
  }

  async run(id: ScenarioId): Promise<void> {
    flushDisks();
    const busyBefore = machineBusySeconds();
    const serverBefore = this.serverCpu.totalSeconds();
    this.serverCpu.start();
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    try {
      await scenarios[id](this.ctx);
    } catch (err) {
      const message = `${id}: ${err instanceof Error ? err.message : String(err)}`;
      this.ctx.errors.push(message);
      console.error(`  [${this.server.name}] FAILED ${message}`);
    }
    this.wallSeconds += (performance.now() - started) / 1000;
    this.serverCpu.stop();
    const server = this.serverCpu.totalSeconds() - serverBefore;
    const used = process.cpuUsage(clientBefore);
    const client = (used.user + used.system) / 1e6;
    this.clientCpuSeconds += client;
    this.otherSeconds += Math.max(0, machineBusySeconds() - busyBefore - server - client);
  }

  /**
   * Freezes every process of the target (SIGSTOP) while another one is measured, so its background
   * work (e.g. DockSphere's outbox relays polling the database, about 8% of a core when idle, or
   * Postgres's own housekeeping) takes nothing from it.
   */
  pause(): void {
    this.client.resetSockets();
    freeze(this.server.processes);
  }

  resume(): void {
    thaw(this.server.processes);
  }

  async stop(): Promise<TargetResult> {
    this.resume();
    try {
      this.client.close();
      await this.server.stop();
    } finally {
      await rm(this.workDir, { recursive: true, force: true });
    }
    return {
      metrics: this.ctx.metrics,
      details: this.ctx.details,
      errors: this.ctx.errors,
      wallSeconds: this.wallSeconds,
      serverCpuSeconds: this.serverCpu.totalSeconds(),
      serverCpuSecondsByProcess: this.serverCpu.secondsByGroup(),
      clientCpuSeconds: this.clientCpuSeconds,
      otherProcessesCores: this.wallSeconds > 0 ? this.otherSeconds / this.wallSeconds : 0,
      startupRssMiB: this.startupRssMiB,
      readySeconds: this.server.readySeconds,
    };
  }
}
