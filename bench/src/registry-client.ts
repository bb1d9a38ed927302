// The benchmark's /v2 client: keep-alive sockets, request bodies written from the in-memory payload,
// response bodies either bounded in memory or counted and discarded.
import http from 'node:http';
import { writeBlobRange, type BlobPayload, type BlobVariant } from './payload.ts';

const MAX_BUFFERED_BODY = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 300_000;

export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Bytes received, also when the body was discarded. */
  bytes: number;
}

interface RequestOptions {
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer | string;
  /** Streams the request body into req and ends it. */
  writeBody?: (req: http.ClientRequest) => Promise<void>;
  /** Do not keep the body: count it, and hand each chunk to the function when one is given. */
  discardBody?: boolean | ((chunk: Buffer) => void);
}

function newAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
}

export class RegistryClient {
  private agent = newAgent();

  constructor(readonly baseUrl: string) {}

  /** Closes kept-alive sockets, e.g. before the server is paused, so none is reused after the server timed it out. */
  resetSockets(): void {
    this.agent.destroy();
    this.agent = newAgent();
  }

  request(method: string, pathAndQuery: string, opts: RequestOptions = {}): Promise<RegistryResponse> {
    const url = new URL(pathAndQuery, this.baseUrl);
    return new Promise<RegistryResponse>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: opts.headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (typeof opts.discardBody === 'function') opts.discardBody(chunk);
            if (opts.discardBody) return;
            if (bytes > MAX_BUFFERED_BODY) {
              res.destroy(new Error(`${method} ${url.pathname}: response larger than ${MAX_BUFFERED_BODY} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('aborted', () => reject(new Error(`${method} ${url.pathname}: response aborted`)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      if (opts.writeBody) opts.writeBody(req).catch((err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
      else req.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export class UnexpectedResponse extends Error {
  constructor(what: string, res: RegistryResponse, expected: number) {
    super(`${what}: expected ${expected}, got ${res.status} ${res.body.subarray(0, 300).toString('utf8')}`);
  }
}

export function expectStatus(what: string, res: RegistryResponse, expected: number): RegistryResponse {
  if (res.status !== expected) throw new UnexpectedResponse(what, res, expected);
  return res;
}

/** The upload URL from a Location header, as a path and query on the registry. */
function uploadLocation(res: RegistryResponse, baseUrl: string): string {
  const location = res.headers.location;
  if (!location) throw new Error(`upload response ${res.status} has no Location header`);
  const url = new URL(location, baseUrl);
  return url.pathname + url.search;
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

function checkCommitted(res: RegistryResponse, digest: string): void {
  expectStatus('PUT upload', res, 201);
  const got = res.headers['docker-content-digest'];
  if (got !== undefined && got !== digest) throw new Error(`registry committed ${String(got)}, expected ${digest}`);
}

export async function startUpload(client: RegistryClient, repo: string): Promise<string> {
  const res = expectStatus('POST upload', await client.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'content-length': 0 } }), 202);
  return uploadLocation(res, client.baseUrl);
}

/** POST, then one PUT ?digest carrying the whole blob. */
export async function pushMonolithic(client: RegistryClient, repo: string, payload: BlobPayload, blob: BlobVariant): Promise<void> {
  const location = await startUpload(client, repo);
  const res = await client.request('PUT', withDigest(location, blob.digest), {
    headers: { 'content-type': 'application/octet-stream', 'content-length': blob.size },
    writeBody: (req) => writeBlobRange(req, payload, blob, 0, blob.size),
  });
  checkCommitted(res, blob.digest);
}

/** POST, a PATCH with Content-Range per chunk (following each new Location), then an empty PUT ?digest. */
export async function pushChunked(client: RegistryClient, repo: string, payload: BlobPayload, blob: BlobVariant, chunkSize: number): Promise<void> {
  let location = await startUpload(client, repo);
  const maxChunks = Math.ceil(blob.size / chunkSize);
  for (let i = 0; i < maxChunks; i++) {
    const start = i * chunkSize;
    const end = Math.min(blob.size, start + chunkSize);
    const res = await client.request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': end - start, 'content-range': `${start}-${end - 1}` },
      writeBody: (req) => writeBlobRange(req, payload, blob, start, end),
    });
    expectStatus(`PATCH chunk ${i}`, res, 202);
    location = uploadLocation(res, client.baseUrl);
  }
  checkCommitted(await client.request('PUT', withDigest(location, blob.digest), { headers: { 'content-length': 0 } }), blob.digest);
}

/** A small blob sent as POST + PUT from memory. */
export async function pushSmallBlob(client: RegistryClient, repo: string, bytes: Buffer, digest: string): Promise<void> {
  const location = await startUpload(client, repo);
  checkCommitted(
    await client.request('PUT', withDigest(location, digest), { headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length }, body: bytes }),
    digest,
  );
}

/** GETs a blob, reading and discarding it (optionally feeding each chunk to onChunk); returns the byte count. */
export async function pullBlob(client: RegistryClient, repo: string, digest: string, onChunk?: (chunk: Buffer) => void): Promise<number> {
  const res = expectStatus('GET blob', await client.request('GET', `/v2/${repo}/blobs/${digest}`, { discardBody: onChunk ?? true }), 200);
  return res.bytes;
}
