// The abandoned-upload sweeper: sessions idle longer than the TTL lose their row and staged bytes.
import type { Kysely } from '@docksphere/db';
import type { Logger } from '@docksphere/kit';
import type { BlobStore } from '@docksphere/storage';
import { deleteExpiredUploads } from '../store/registry-store.ts';

export interface UploadExpiryDeps {
  db: Kysely<any>;
  store: BlobStore;
  logger: Logger;
  uploadTtlSeconds: number;
}

/** One sweep: resolves with how many sessions it removed. Safe on several replicas (rows are claimed). */
export async function sweepExpiredUploads(deps: UploadExpiryDeps, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await deleteExpiredUploads(deps.db, deps.uploadTtlSeconds, batch);
    for (const id of ids) {
      await deps.store.abortUpload(id).catch((err: unknown) => deps.logger.warn({ err, id }, 'removing staged upload data failed'));
    }
    total += ids.length;
    if (ids.length < batch) return total;
  }
}

export function startUploadSweeper(deps: UploadExpiryDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      sweepExpiredUploads(deps)
        .then((n) => {
          if (n > 0) deps.logger.info({ removed: n }, 'expired upload sessions removed');
        })
        .catch((err: unknown) => deps.logger.error({ err }, 'upload expiry sweep failed')),
    );
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
