// Request-rate scenarios under load: manifest GET by tag and blob HEAD at 64 connections (autocannon).
import autocannon from 'autocannon';
import type { BenchContext } from '../context.ts';
import { round } from '../stats.ts';
import { manifestAccept, seedImage, type SeededImage } from './image-seed.ts';

interface LoadResult {
  /** 2xx responses per second over the run. */
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface ParserHolder {
  parser: { constructor: { kOnHeadersComplete: number }; [key: number]: unknown };
}

/**
 * autocannon's response parser does not know a HEAD response has no body, so it waits for
 * Content-Length bytes forever. Its setupClient hook runs before the parser callbacks are set:
 * wrap the headers-complete callback as it is assigned so that it answers "skip the body".
 */
function skipBodies(client: unknown): void {
  const { parser } = client as ParserHolder;
  const key = parser.constructor.kOnHeadersComplete;
  let onHeadersComplete: ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(parser, key, {
    configurable: true,
    get: () => (...args: unknown[]) => {
      onHeadersComplete?.(...args);
      return true;
    },
    set: (fn: (...args: unknown[]) => unknown) => {
      onHeadersComplete = fn;
    },
  });
}

async function cannon(url: string, method: 'GET' | 'HEAD', headers: Record<string, string>, connections: number, durationSec: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method,
    headers,
    connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 10,
    ...(method === 'HEAD' ? { setupClient: skipBodies } : {}),
  });
  return {
    // Successful responses per second: a server answering errors fast must not look fast.
    requestsPerSec: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function image(ctx: BenchContext): Promise<SeededImage> {
  ctx.seededImage ??= await seedImage(ctx, 'bench/app', 'latest');
  return ctx.seededImage;
}

async function measureLoad(ctx: BenchContext, key: string, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>): Promise<void> {
  const url = `${ctx.server.baseUrl}${path}`;
  const { loadConnections, loadDurationSec, warmupSec } = ctx.settings;
  await cannon(url, method, headers, loadConnections, warmupSec);
  const r = await cannon(url, method, headers, loadConnections, loadDurationSec);
  // Record what was measured even when requests failed: a stalled server shows as a low rate, not as a gap.
  ctx.record(`${key}.rps`, r.requestsPerSec);
  if (r.total > 0) ctx.record(`${key}.p99ms`, r.p99Ms);
  ctx.details[key] = { ...r, connections: loadConnections, durationSec: loadDurationSec };
  const failed = r.non2xx + r.errors + r.timeouts;
  if (r.total === 0 || failed > r.total * 0.001) {
    throw new Error(`${method} ${path}: ${r.total} responses, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (10 s) in ${loadDurationSec} s`);
  }
  ctx.log(`${method} ${path} c${loadConnections}: ${round(r.requestsPerSec)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
}

export async function measureManifestGet(ctx: BenchContext): Promise<void> {
  const img = await image(ctx);
  // Check once that the tag answers with the pushed bytes before loading it.
  const res = await ctx.client.request('GET', `/v2/${img.repo}/manifests/latest`, { headers: { accept: manifestAccept } });
  if (res.status !== 200 || !res.body.equals(img.manifest)) throw new Error(`GET manifest by tag: ${res.status}, body differs from the pushed manifest`);
  await measureLoad(ctx, 'manifest', `/v2/${img.repo}/manifests/latest`, 'GET', { accept: manifestAccept });
}

export async function measureBlobHead(ctx: BenchContext): Promise<void> {
  const img = await image(ctx);
  const res = await ctx.client.request('HEAD', `/v2/${img.repo}/blobs/${img.layerDigest}`);
  if (res.status !== 200) throw new Error(`HEAD blob: ${res.status}`);
  await measureLoad(ctx, 'head', `/v2/${img.repo}/blobs/${img.layerDigest}`, 'HEAD', {});
}
