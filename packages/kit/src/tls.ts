// HTTPS without a proxy (TLS_CERT_FILE, TLS_KEY_FILE): the certificate and key are read at start and
// again whenever either file changes, so a renewed certificate is served without a restart.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { TlsFiles } from './config.ts';
import type { Logger } from './logger.ts';

/** How often the files are checked: renewals are rare, and polling also sees a replaced symlink (Kubernetes secrets). */
const WATCH_INTERVAL_MS = 2_000;

export function readTlsFiles(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

export function reloadTlsOnChange(app: FastifyInstance, files: TlsFiles, logger: Logger): void {
  const reload = () => {
    try {
      (app.server as unknown as Server).setSecureContext(readTlsFiles(files));
      logger.info({ certFile: files.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      // A renewal that writes the certificate before the key mismatches for a moment: keep serving the old pair.
      logger.warn({ err: { message: (err as Error).message }, certFile: files.certFile }, 'TLS certificate not reloaded; still serving the previous one');
    }
  };
  const options = { interval: WATCH_INTERVAL_MS, persistent: false };
  watchFile(files.certFile, options, reload);
  watchFile(files.keyFile, options, reload);
  app.addHook('onClose', async () => {
    unwatchFile(files.certFile, reload);
    unwatchFile(files.keyFile, reload);
  });
}
