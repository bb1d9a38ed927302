// The distributed mode's NGINX front (nginx/nginx.conf rendered by the harness) in front of small
// recording upstreams: routing per path, /internal never routed, /v2 streamed both ways, X-Accel
// blob serving with the registry's headers and Range.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasCommand, makeTempDir, readNginxTemplate, renderNginxTemplate, requireServer, startNginx, templatePlaceholders, type RunningNginx } from '@docksphere/infra';

const ACCEL = '/_accel/blobs';
const BLOB_DIGEST = `sha256:${'ab'.repeat(32)}`;
const DOWNLOAD_BYTES = 128 * 1024 * 1024;
const BLOB = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(1000));

interface Seen {
  service: string;
  url: string;
  headers: IncomingMessage['headers'];
}

const haveNginx = requireServer('nginx', hasCommand('nginx'));

describe.skipIf(!haveNginx)('nginx/nginx.conf in front of the services', () => {
  const seen: Seen[] = [];
  const upstreams: Server[] = [];
  const temp = makeTempDir('nginx-e2e');
  let nginx: RunningNginx;
  // Resolved by the registry upstream when the first chunk of a streamed upload arrives.
  let firstChunk: (() => void) | undefined;
  // For the download test: bytes the registry upstream has handed to its socket so far.
  let downloadWritten = 0;

  async function upstream(service: string): Promise<string> {
    const server = createServer((req, res) => {
      seen.push({ service, url: req.url ?? '', headers: req.headers });
      if (service === 'registry' && req.url?.startsWith('/v2/stream/upload')) {
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          if (bytes === 0) firstChunk?.();
          bytes += c.length;
        });
        req.on('end', () => res.writeHead(201, { 'x-received-bytes': String(bytes) }).end());
        return;
      }
      if (service === 'registry' && req.url?.startsWith('/v2/stream/download')) {
        // A large body written as fast as the connection takes it; `downloadWritten` counts what left.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(DOWNLOAD_BYTES) });
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (downloadWritten < DOWNLOAD_BYTES) {
            downloadWritten += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      if (service === 'registry' && req.url?.startsWith('/v2/stream/blob')) {
        const hex = BLOB_DIGEST.slice('sha256:'.length);
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.layer.v1.tar+gzip',
          'docker-content-digest': BLOB_DIGEST,
          'x-accel-redirect': `${ACCEL}/sha256/${hex.slice(0, 2)}/${hex}`,
        });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service }));
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    upstreams.push(server);
    return `127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    const storageDir = path.join(temp.dir, 'storage');
    const hex = BLOB_DIGEST.slice('sha256:'.length);
    mkdirSync(path.join(storageDir, 'blobs', 'sha256', hex.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(storageDir, 'blobs', 'sha256', hex.slice(0, 2), hex), BLOB);
    const port = await freePort();
    const values = {
      DS_LISTEN: `127.0.0.1:${port}`,
      DS_REGISTRY_UPSTREAM: await upstream('registry'),
      DS_AUTH_UPSTREAM: await upstream('auth'),
      DS_METADATA_UPSTREAM: await upstream('metadata'),
      DS_HOOKS_UPSTREAM: await upstream('hooks'),
      DS_WEB_UPSTREAM: await upstream('web'),
      DS_STORAGE_DIR: storageDir,
      DS_ACCEL_PREFIX: ACCEL,
      DS_WORKER_USER: process.getuid?.() === 0 ? 'root' : 'nobody',
    };
    nginx = await startNginx(
      (prefix) => renderNginxTemplate(readNginxTemplate(), { ...values, DS_TEMP_DIR: path.join(prefix, 'temp'), DS_ACCESS_LOG: path.join(prefix, 'logs', 'access.log') }),
      { port },
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const s of upstreams) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    temp.remove();
  });

  async function serviceFor(pathname: string): Promise<{ status: number; service?: string }> {
    const res = await fetch(`${nginx.url}${pathname}`);
    const body = await res.text();
    return res.status === 200 ? { status: 200, service: (JSON.parse(body) as { service: string }).service } : { status: res.status };
  }

  it('refuses a template value that could inject directives, and a missing placeholder', () => {
    const template = readNginxTemplate();
    const values = Object.fromEntries(templatePlaceholders(template).map((n) => [n, 'x']));
    expect(() => renderNginxTemplate(template, { ...values, DS_LISTEN: '80; include /etc/passwd' })).toThrow(/unsafe value/);
    const { DS_LISTEN: _omitted, ...partial } = values;
    expect(() => renderNginxTemplate(template, partial)).toThrow(/no value for DS_LISTEN/);
  });

  it('routes each path prefix to its service', async () => {
    expect(await serviceFor('/v2/')).toEqual({ status: 200, service: 'registry' });
    expect(await serviceFor('/v2/team/app/manifests/latest')).toEqual({ status: 200, service: 'registry' });
    expect(await serviceFor('/auth/token?service=x')).toEqual({ status: 200, service: 'auth' });
    expect(await serviceFor('/api/auth/sessions')).toEqual({ status: 200, service: 'auth' });
    expect(await serviceFor('/api/audit/events')).toEqual({ status: 200, service: 'hooks' });
    expect(await serviceFor('/api/webhooks/1')).toEqual({ status: 200, service: 'hooks' });
    expect(await serviceFor('/api/webhooks')).toEqual({ status: 200, service: 'hooks' });
    expect(await serviceFor('/api/webhooksettings')).toEqual({ status: 200, service: 'metadata' });
    expect(await serviceFor('/api/namespaces')).toEqual({ status: 200, service: 'metadata' });
    expect(await serviceFor('/')).toEqual({ status: 200, service: 'web' });
    expect(await serviceFor('/repositories/team/app')).toEqual({ status: 200, service: 'web' });
  });

  it('never routes /internal, however the path is spelled', async () => {
    const before = seen.length;
    for (const p of ['/internal/access', '/internal', '/v2/../internal/access', '/api/%2e%2e/internal/access', '/auth/..%2finternal/access', '//internal/access']) {
      const res = await fetch(`${nginx.url}${p}`);
      await res.body?.cancel();
      expect.soft(res.status, p).toBe(404);
    }
    expect(seen.slice(before).filter((s) => s.url.includes('internal'))).toEqual([]);
  });

  it('passes Host with its port and the X-Forwarded headers', async () => {
    await serviceFor('/v2/headers');
    const last = seen.findLast((s) => s.url === '/v2/headers')!;
    expect(last.headers.host).toBe(`127.0.0.1:${nginx.port}`);
    expect(last.headers['x-forwarded-host']).toBe(`127.0.0.1:${nginx.port}`);
    expect(last.headers['x-forwarded-proto']).toBe('http');
    expect(last.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('streams a /v2 upload to the registry before the client has finished sending it', async () => {
    const arrived = new Promise<void>((r) => (firstChunk = r));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const chunk = Buffer.alloc(64 * 1024, 7);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(chunk);
        await held; // the rest is only sent after the registry has seen the first bytes
        for (let i = 0; i < 31; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = fetch(`${nginx.url}/v2/stream/upload`, { method: 'PATCH', body, duplex: 'half' } as RequestInit);
    // With request buffering NGINX would wait for the whole body, which is never sent: time out.
    let timer: NodeJS.Timeout | undefined;
    const tooLate = new Promise<'buffered'>((r) => (timer = setTimeout(() => r('buffered'), 10_000)));
    const outcome = await Promise.race([arrived.then(() => 'streamed' as const), tooLate]);
    clearTimeout(timer);
    release();
    expect(outcome).toBe('streamed');
    const res = await response;
    expect(res.status).toBe(201);
    expect(res.headers.get('x-received-bytes')).toBe(String(32 * chunk.length));
  });

  it('does not spool a /v2 response to disk: a slow client holds the registry back', async () => {
    const res = await fetch(`${nginx.url}/v2/stream/download`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = (await reader.read()).value?.length ?? 0;
    // The client stops reading. Buffering NGINX would now take the whole body into a temp file;
    // streaming NGINX only holds socket and proxy buffers, a few MiB, and the registry waits.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(downloadWritten).toBeLessThan(DOWNLOAD_BYTES / 4);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      received += next.value.length;
    }
    expect(received).toBe(DOWNLOAD_BYTES);
  });

  it('serves an X-Accel-Redirect blob from the storage dir with the registry headers, and Range', async () => {
    const full = await fetch(`${nginx.url}/v2/stream/blob`);
    expect(full.status).toBe(200);
    expect(full.headers.get('x-docksphere-accel')).toBe('1');
    expect(full.headers.get('content-type')).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(full.headers.get('docker-content-digest')).toBe(BLOB_DIGEST);
    expect(full.headers.get('content-length')).toBe(String(BLOB.length));
    expect(Buffer.from(await full.arrayBuffer()).equals(BLOB)).toBe(true);

    const part = await fetch(`${nginx.url}/v2/stream/blob`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${BLOB.length}`);
    expect(part.headers.get('docker-content-digest')).toBe(BLOB_DIGEST);
    expect(Buffer.from(await part.arrayBuffer()).equals(BLOB.subarray(10, 20))).toBe(true);
  });

  it('does not serve the internal blob location to clients', async () => {
    const hex = BLOB_DIGEST.slice('sha256:'.length);
    const res = await fetch(`${nginx.url}${ACCEL}/sha256/${hex.slice(0, 2)}/${hex}`);
    await res.body?.cancel();
    expect(res.status).toBe(404);
  });

  it('answers its own health check without any upstream', async () => {
    const res = await fetch(`${nginx.url}/_nginx/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });
});
