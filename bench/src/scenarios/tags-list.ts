// tags/list of a repository with 2,000 tags on one small manifest: the full list (following Link
// pages if the registry paginates unasked) and one page of n=100, each as a closed loop of clients.
import type { BenchContext } from '../context.ts';
import { expectStatus } from '../registry-client.ts';
import { percentile, round } from '../stats.ts';
import { putManifest, seedImage } from './image-seed.ts';

const SEED_CONCURRENCY = 8;
const MAX_PAGES = 100;
const MAX_LOOP_OPS = 1_000_000;

function tagName(i: number): string {
  return `t-${String(i).padStart(5, '0')}`;
}

function nextLink(link: string | string[] | undefined): string | undefined {
  const value = Array.isArray(link) ? link.join(', ') : link;
  if (!value) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(value);
  return match?.[1];
}

async function listTags(ctx: BenchContext, firstPath: string, followLinks: boolean): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = firstPath;
  for (let page = 0; path !== undefined; page++) {
    if (page >= MAX_PAGES) throw new Error(`tags/list: more than ${MAX_PAGES} pages`);
    const res = expectStatus('GET tags/list', await ctx.client.request('GET', path), 200);
    const doc = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
    tags.push(...(doc.tags ?? []));
    path = followLinks ? nextLink(res.headers.link) : undefined;
  }
  return tags;
}

/** Runs op from `concurrency` loops for durationSec; returns per-op latencies in ms. */
async function closedLoop(concurrency: number, durationSec: number, op: () => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && latencies.length < MAX_LOOP_OPS) {
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

async function measureLoop(ctx: BenchContext, key: string, label: string, op: () => Promise<void>): Promise<void> {
  const { tagLoadConcurrency, tagLoadDurationSec, warmupSec } = ctx.settings;
  await closedLoop(tagLoadConcurrency, warmupSec, op);
  const { latencies, seconds } = await closedLoop(tagLoadConcurrency, tagLoadDurationSec, op);
  const rps = latencies.length / seconds;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  ctx.record(`${key}.rps`, rps);
  ctx.record(`${key}.p50ms`, p50);
  ctx.record(`${key}.p99ms`, p99);
  ctx.details[key] = { ops: latencies.length, seconds: round(seconds, 2), concurrency: tagLoadConcurrency, p50Ms: round(p50, 2), p99Ms: round(p99, 2) };
  ctx.log(`${label} c${tagLoadConcurrency}: ${round(rps)} ops/s, p50 ${round(p50, 2)} ms, p99 ${round(p99, 2)} ms`);
}

export async function measureTagsList(ctx: BenchContext): Promise<void> {
  const repo = 'bench/tags';
  const count = ctx.settings.tagCount;
  const pageSize = ctx.settings.tagPageSize;
  const img = await seedImage(ctx, repo, tagName(0));

  const seedStarted = performance.now();
  let next = 1;
  const seeder = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await putManifest(ctx, repo, tagName(i), img.manifest);
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, seeder));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  ctx.record('tags.seed.perSec', (count - 1) / seedSeconds);
  ctx.log(`seeded ${count} tags in ${round(seedSeconds, 1)} s`);

  const full = await listTags(ctx, `/v2/${repo}/tags/list`, true);
  if (full.length !== count || new Set(full).size !== count) throw new Error(`tags/list returned ${full.length} tags (${new Set(full).size} distinct), expected ${count}`);
  const pagePath = `/v2/${repo}/tags/list?n=${pageSize}`;
  // Distribution 2.8 ignores n on tags/list and answers with every tag; record that, accept it.
  const page = await listTags(ctx, pagePath, false);
  if (page.length !== pageSize && page.length !== count) throw new Error(`tags/list?n=${pageSize} returned ${page.length} tags`);
  const pageLength = page.length;
  ctx.details.tagsPageSizeHonoured = pageLength === pageSize;
  if (pageLength !== pageSize) ctx.log(`tags/list?n=${pageSize} ignores n: it returns all ${pageLength} tags`);

  await measureLoop(ctx, 'tags.full', `tags/list of ${count} (all pages)`, async () => {
    const tags = await listTags(ctx, `/v2/${repo}/tags/list`, true);
    if (tags.length !== count) throw new Error(`tags/list returned ${tags.length} tags`);
  });
  await measureLoop(ctx, 'tags.page', `tags/list?n=${pageSize}`, async () => {
    const tags = await listTags(ctx, pagePath, false);
    if (tags.length !== pageLength) throw new Error(`tags/list?n=${pageSize} returned ${tags.length} tags`);
  });
}
