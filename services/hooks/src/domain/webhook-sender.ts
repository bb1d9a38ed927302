// Sends one webhook request to an address the SSRF guard already approved: the socket goes to
// that address (no second DNS lookup), while the Host header and TLS SNI/certificate check keep
// the URL's hostname. Redirects are not followed; the response is read only up to a small bound.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction } from 'node:net';

export interface WebhookRequest {
  url: URL;
  /** The resolved address to connect to. */
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** True for a 2xx answer. */
  ok: boolean;
  status: number | null;
  headers: Record<string, string> | null;
  /** The first bytes of the response body (for the delivery log). */
  body: string | null;
  error: string | null;
  durationMs: number;
  remoteAddress: string;
}

/** Bytes of the receiver's answer kept in the delivery log. */
const MAX_RESPONSE_BYTES = 4096;
const MAX_LOGGED_HEADERS = 32;

export function sendWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const started = performance.now();
  const { url } = request;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [{ address: request.address, family: request.family }]);
    else callback(null, request.address, request.family);
  };
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: 'POST',
    host: hostname,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    path: `${url.pathname}${url.search}`,
    headers: { ...request.headers, host: url.host, 'content-length': String(Buffer.byteLength(request.body)) },
    lookup: pinned,
    // One connection per attempt: a pooled socket must not outlive the check that approved it.
    agent: false,
    ...(secure && !net.isIP(hostname) ? { servername: hostname } : {}),
  };
  return new Promise<WebhookResponse>((resolve) => {
    let settled = false;
    const finish = (result: Omit<WebhookResponse, 'durationMs' | 'remoteAddress'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: Math.round(performance.now() - started), remoteAddress: request.address });
    };
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers).slice(0, MAX_LOGGED_HEADERS)) if (v !== undefined) headers[k] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 512);
      const done = () => {
        const status = res.statusCode ?? 0;
        finish({ ok: status >= 200 && status < 300, status, headers, body: Buffer.concat(chunks).toString('utf8'), error: status >= 200 && status < 300 ? null : `receiver answered ${status}` });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        // Enough for the log: the rest of a large answer is not worth waiting for.
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => finish({ ok: false, status: res.statusCode ?? null, headers, body: null, error: err.message }));
    });
    const timer = setTimeout(() => {
      const error = `timed out after ${request.timeoutMs} ms`;
      req.destroy(new Error(error));
      // Settled here too: a request destroyed mid-response does not always emit an error.
      finish({ ok: false, status: null, headers: null, body: null, error });
    }, request.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, status: null, headers: null, body: null, error: err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message }));
    req.end(request.body);
  });
}
