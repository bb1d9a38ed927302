import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCa, waitUntil } from '@docksphere/infra';
import { createHttpServer } from './http.ts';
import { createLogger } from './logger.ts';

const root = mkdtempSync(path.join(tmpdir(), 'ds-tls-'));
const subdir = (name: string) => mkdtempSync(path.join(root, name));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** GET over HTTPS trusting only the test CA; answers the body and the served certificate's serial. */
function get(port: number, ca: string): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/hello', ca, agent: false }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
    });
    req.on('error', reject);
  });
}

describe('HTTPS without a proxy (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  it('serves HTTPS with the configured certificate and serves a renewed one without a restart', async () => {
    const dir = subdir('renew-');
    const ca = createTestCa(dir);
    const caPem = readFileSync(ca.caFile, 'utf8');
    const first = ca.issue('first', ['127.0.0.1', 'localhost']);
    const live = { certFile: path.join(dir, 'live.crt'), keyFile: path.join(dir, 'live.key') };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);

    const app = createHttpServer({ logger: createLogger({ level: 'silent', name: 'tls-test' }), tls: live });
    app.get('/hello', async () => 'hello over tls');
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const before = await get(port, caPem);
      expect(before).toMatchObject({ status: 200, body: 'hello over tls' });

      const renewed = ca.issue('renewed', ['127.0.0.1', 'localhost']);
      copyFileSync(renewed.keyFile, live.keyFile);
      copyFileSync(renewed.certFile, live.certFile);
      let after = before;
      await waitUntil('the renewed certificate', async () => (after = await get(port, caPem)).serial !== before.serial, { timeoutMs: 30_000, intervalMs: 200 });
      const expected = new (await import('node:crypto')).X509Certificate(readFileSync(renewed.certFile)).serialNumber;
      expect(after.serial.toUpperCase()).toBe(expected.toUpperCase());
      expect(after.body).toBe('hello over tls');

      // A key that does not match the certificate is refused and the working pair stays in service.
      copyFileSync(first.keyFile, live.keyFile);
      await new Promise((r) => setTimeout(r, 2_500));
      expect((await get(port, caPem)).serial).toBe(after.serial);
    } finally {
      await app.close();
    }
  });

  it('refuses clients that do not trust the certificate', async () => {
    const ca = createTestCa(subdir('trusted-'));
    const cert = createTestCa(subdir('other-')).issue('untrusted', ['127.0.0.1']);
    const app = createHttpServer({ logger: createLogger({ level: 'silent', name: 'tls-test' }), tls: cert });
    app.get('/hello', async () => 'x');
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      await expect(get(port, readFileSync(ca.caFile, 'utf8'))).rejects.toThrow(/certificate/);
    } finally {
      await app.close();
    }
  });
});
