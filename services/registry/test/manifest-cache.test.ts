import { DEFAULT_CACHE_PERIODS } from '../src/domain/cache-periods.ts';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestService } from '../src/domain/manifests.ts';
import { prepareImage, repo, startRegistry, type Harness } from './helpers.ts';

describe('manifest lookup cache', () => {
  let h: Harness;
  let headers: { authorization: string };
  let digest = '';
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/app'));
    const img = await prepareImage(h, 'team/app', headers, {}, 'cache');
    const r = await h.app.inject({ method: 'PUT', url: '/v2/team/app/manifests/hot', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: img.manifest });
    expect(r.statusCode).toBe(201);
    digest = img.digest;
  });
  afterAll(async () => h.close());

  function counted(): { service: ManifestService; queries: () => number } {
    let n = 0;
    const plugin: KyselyPlugin = {
      transformQuery: (args) => {
        n++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    return { service: new ManifestService({ db: h.database.db.withPlugin(plugin), maxManifestBytes: 1 << 20, periods: DEFAULT_CACHE_PERIODS }), queries: () => n };
  }

  it('answers concurrent cold lookups of one tag with one tag query and one manifest query', async () => {
    const { service, queries } = counted();
    const found = await Promise.all(Array.from({ length: 32 }, () => service.find('team/app', { kind: 'tag', tag: 'hot' })));
    expect(found.every((m) => m?.digest === digest)).toBe(true);
    expect(queries()).toBe(2);
  });

  it('keeps answering from the cache after the tag goes stale, refreshing it once in the background', async () => {
    const { service, queries } = counted();
    await service.find('team/app', { kind: 'tag', tag: 'hot' });
    const before = queries();
    // Past the tag's freshness (0.5 s), within its grace period (1 s): served from the cache, refreshed once.
    await new Promise((r) => setTimeout(r, 700));
    const found = await Promise.all(Array.from({ length: 16 }, () => service.find('team/app', { kind: 'tag', tag: 'hot' })));
    expect(found.every((m) => m?.digest === digest)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(queries() - before).toBe(1);
  });
});
