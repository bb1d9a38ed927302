// The shared HTTP server: proxy trust only from configured hops, cut-offs for slow senders, and a
// draining close that lets in-flight requests finish.
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { DEFAULT_HTTP_TIMEOUTS, createHttpServer } from './http.ts';
import { isDraining } from './lifecycle.ts';
import { createLogger } from './logger.ts';

const logger = createLogger({ level: 'silent', name: 'http-test' });
const servers: FastifyInstance[] = [];

async function serve(server: Parameters<typeof createHttpServer>[0]['server']): Promise<{ app: FastifyInstance; port: number }> {
  const app = createHttpServer({ logger, server });
  servers.push(app);
  app.get('/ip', async (request) => ({ ip: request.ip }));
  // Bodies stay streams, as the registry's are.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.post('/sink', async (request) => {
    let bytes = 0;
    for await (const chunk of request.raw) bytes += (chunk as Buffer).length;
    return { bytes };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close().catch(() => undefined)));
});

function getIp(port: number, forwardedFor: string): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/ip`, { headers: { 'x-forwarded-for': forwardedFor } })
    .then((r) => r.json() as Promise<{ ip: string }>)
    .then((b) => b.ip);
}

/** Resolves when the server ends the connection (whatever it wrote before). */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  return new Promise((resolve) => {
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
  });
}

describe('createHttpServer', () => {
  it('ignores X-Forwarded-For from a socket that is not a trusted proxy', async () => {
    const { port } = await serve({ tls: undefined, trustedProxies: [], timeouts: DEFAULT_HTTP_TIMEOUTS });
    for (const forged of ['10.0.0.1', '10.0.0.2', '203.0.113.9, 198.51.100.7']) {
      expect(await getIp(port, forged)).toBe('127.0.0.1');
    }
  });

  it('believes X-Forwarded-For from a trusted proxy (the hop before it)', async () => {
    const { port } = await serve({ tls: undefined, trustedProxies: ['127.0.0.0/8'], timeouts: DEFAULT_HTTP_TIMEOUTS });
    expect(await getIp(port, '203.0.113.9')).toBe('203.0.113.9');
    // Only trusted hops are skipped: a client-supplied left-most value behind an untrusted hop is not believed.
    expect(await getIp(port, '203.0.113.9, 198.51.100.7')).toBe('198.51.100.7');
  });

  it('reads TRUSTED_PROXIES and the timeouts from configuration, refusing entries that are not addresses', () => {
    const config = loadConfig({ TRUSTED_PROXIES: '10.0.0.5, 172.16.0.0/12,::1', SERVER_HEADERS_TIMEOUT_MS: '1000', SHUTDOWN_DRAIN_MS: '5' });
    expect(config.server.trustedProxies).toEqual(['10.0.0.5', '172.16.0.0/12', '::1']);
    expect(config.server.timeouts).toMatchObject({ headersMs: 1000, drainMs: 5, bodyIdleMs: DEFAULT_HTTP_TIMEOUTS.bodyIdleMs });
    expect(loadConfig({}).server.trustedProxies).toEqual([]);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'nginx' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('cuts a client that sends its headers a byte at a time (slowloris)', async () => {
    const { port } = await serve({ tls: undefined, trustedProxies: [], timeouts: { ...DEFAULT_HTTP_TIMEOUTS, headersMs: 400 } });
    const socket = connect(port, '127.0.0.1');
    const done = closed(socket);
    socket.write('GET /ip HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X'), 100);
    const received = await done;
    clearInterval(drip);
    // Node answers 408 before closing, or just closes: never the route's 200.
    expect(received).not.toContain('200 OK');
  });

  it('cuts an upload body that stalls longer than the body idle timeout', async () => {
    const { port } = await serve({ tls: undefined, trustedProxies: [], timeouts: { ...DEFAULT_HTTP_TIMEOUTS, bodyIdleMs: 300 } });
    const socket = connect(port, '127.0.0.1');
    const done = closed(socket);
    socket.write('POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nA');
    // One byte now and then, each gap longer than the idle timeout.
    const drip = setInterval(() => socket.writable && socket.write('B'), 1_500);
    const received = await done;
    clearInterval(drip);
    expect(received).toBe('');
  });

  it('drains on close: in-flight requests finish (with Connection: close), new connections are refused', async () => {
    const { app, port } = await serve({ tls: undefined, trustedProxies: [], timeouts: DEFAULT_HTTP_TIMEOUTS });
    const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/sink', headers: { 'content-length': '6' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      req.write('abc');
      // The rest of the body arrives once close() has begun.
      setTimeout(() => req.end('def'), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(isDraining()).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/ip`)).rejects.toThrow();
    const answered = await response;
    expect(answered).toEqual({ status: 200, connection: 'close', body: '{"bytes":6}' });
    await closing;
  });
});
