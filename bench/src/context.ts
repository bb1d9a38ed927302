// What every scenario gets: the server under test, a client, the payload, the settings, and a
// place to record numbers.
import type { BlobPayload } from './payload.ts';
import type { RegistryClient } from './registry-client.ts';
import type { SeededImage } from './scenarios/image-seed.ts';
import type { RunningServer } from './server/server-process.ts';

export interface BenchSettings {
  blobSize: number;
  chunkSize: number;
  trials: number;
  loadConnections: number;
  loadDurationSec: number;
  warmupSec: number;
  tagCount: number;
  tagPageSize: number;
  tagLoadConcurrency: number;
  tagLoadDurationSec: number;
  concurrentUploads: number;
}

export const fullSettings: BenchSettings = {
  blobSize: 256 * 1024 * 1024,
  chunkSize: 8 * 1024 * 1024,
  trials: 3,
  loadConnections: 64,
  loadDurationSec: 10,
  warmupSec: 2,
  tagCount: 2000,
  tagPageSize: 100,
  tagLoadConcurrency: 16,
  tagLoadDurationSec: 5,
  concurrentUploads: 32,
};

/** --quick: the same scenarios at sizes small enough for iterating on the harness. */
export const quickSettings: BenchSettings = {
  ...fullSettings,
  blobSize: 32 * 1024 * 1024,
  chunkSize: 8 * 1024 * 1024,
  loadDurationSec: 3,
  warmupSec: 1,
  tagCount: 300,
  tagLoadDurationSec: 2,
  concurrentUploads: 8,
};

export interface PushedBlob {
  repo: string;
  digest: string;
  size: number;
}

export class BenchContext {
  readonly metrics: Record<string, number> = {};
  readonly details: Record<string, unknown> = {};
  readonly errors: string[] = [];
  /** A large blob pushed by an earlier scenario, for the pull scenario to reuse. */
  pushedBlob: PushedBlob | undefined;
  /** The small image the request-rate scenarios read. */
  seededImage: SeededImage | undefined;
  private blobIndex = 0;

  constructor(
    readonly server: RunningServer,
    readonly client: RegistryClient,
    readonly payload: BlobPayload,
    readonly settings: BenchSettings,
  ) {}

  nextBlobIndex(): number {
    return this.blobIndex++;
  }

  record(id: string, value: number): void {
    this.metrics[id] = value;
  }

  log(message: string): void {
    console.log(`  [${this.server.name}] ${message}`);
  }
}
