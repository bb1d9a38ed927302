// Pure parts of the hooks service: the SSRF guard's address classes and allowlist, webhook
// signatures, retry back-off, canonical JSON, and the in-process delivery queue's limits.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/domain/canonical-json.ts';
import { retryDelayMs } from '../src/domain/backoff.ts';
import { filterOf, subscriptionMatches } from '../src/domain/webhook-filters.ts';
import { forbiddenClass, InProcessDeliveryQueue, signatureHeader, SsrfGuard, systemInterfaceAddresses, verifySignature, type DeliveryJob } from '../src/index.ts';
import { pushed, sleep, waitFor } from './helpers.ts';

describe('SSRF guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.0.10', 'private'],
    ['100.64.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:8.8.8.8', 'IPv4-mapped IPv6'],
    ['64:ff9b::a00:1', 'IPv4-translated IPv6'],
  ])('classifies %s as %s', (address, cls) => {
    expect(forbiddenClass(address)).toBe(cls);
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '172.32.0.1', '192.169.0.1'])('lets public %s through', (address) => {
    expect(forbiddenClass(address)).toBeUndefined();
  });

  it('refuses a host when any of its addresses is forbidden, and picks the checked address otherwise', async () => {
    const guard = new SsrfGuard([], async (host) => (host === 'mixed.test' ? [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }] : [{ address: '93.184.216.34', family: 4 }]));
    expect(await guard.check('https://mixed.test/x')).toMatchObject({ allowed: false, permanent: true, reason: expect.stringContaining('mixed.test resolves to 10.0.0.1 is a private address') });
    expect(await guard.check('https://public.test/x')).toMatchObject({ allowed: true, address: '93.184.216.34', family: 4 });
  });

  it('reports a host that does not resolve as worth retrying', async () => {
    const guard = new SsrfGuard([], async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    });
    expect(await guard.check('http://gone.test/')).toEqual({ allowed: false, permanent: false, reason: 'gone.test does not resolve (ENOTFOUND)' });
  });

  it('permits allowlisted ranges only, including their IPv4-mapped form', async () => {
    const guard = new SsrfGuard(['127.0.0.1/32', 'fd00::/8']);
    expect(guard.refusal('127.0.0.1')).toBeUndefined();
    expect(guard.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(guard.refusal('fd00::5')).toBeUndefined();
    expect(guard.refusal('127.0.0.2')).toMatch(/loopback/);
    expect(guard.refusal('::1')).toMatch(/loopback/);
    expect(() => new SsrfGuard(['not-an-ip'])).toThrow(/not an IP address/);
    expect(() => new SsrfGuard(['10.0.0.0/33'])).toThrow(/prefix/);
  });

  it("refuses the server's own interface addresses unless allowlisted, re-reading the interfaces", async () => {
    let own = ['203.0.113.9', '2001:db8::9'];
    const guard = new SsrfGuard([], async () => [{ address: '203.0.113.9', family: 4 }], () => own);
    expect(guard.refusal('203.0.113.9')).toBe('203.0.113.9 is an address of this server');
    expect(guard.refusal('2001:db8:0:0::9')).toBe('2001:db8:0:0::9 is an address of this server');
    expect(guard.refusal('203.0.113.10')).toBeUndefined();
    expect(await guard.check('http://name.test/')).toMatchObject({ allowed: false, permanent: true, reason: expect.stringContaining('name.test resolves to 203.0.113.9 is an address of this server') });
    expect(new SsrfGuard(['203.0.113.0/24'], undefined, () => own).refusal('203.0.113.9')).toBeUndefined();
    // The default reads os.networkInterfaces(): every address there is refused.
    const system = new SsrfGuard();
    for (const address of systemInterfaceAddresses()) expect(system.refusal(address), address).toBeDefined();
    own = [];
    expect(guard.refusal('203.0.113.9')).toBe('203.0.113.9 is an address of this server'); // cached for a few seconds
  });

  it('refuses other schemes and credentials in the URL', () => {
    expect(SsrfGuard.checkUrl('file:///etc/passwd')).toMatchObject({ ok: false });
    expect(SsrfGuard.checkUrl('http://u:p@example.com/')).toMatchObject({ ok: false });
    expect(SsrfGuard.checkUrl('not a url')).toMatchObject({ ok: false });
    expect(SsrfGuard.checkUrl('https://example.com/hook?x=1')).toMatchObject({ ok: true });
  });
});

describe('signatures', () => {
  const body = '{"version":1}';
  it('signs t.body with HMAC-SHA256 and verifies it', () => {
    const header = signatureHeader('s3cret-s3cret-s3cret', body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret-s3cret-s3cret', header, body, { nowSeconds: 1_700_000_100 })).toEqual({ valid: true, timestamp: 1_700_000_000 });
  });
  it('refuses a changed body, a wrong secret, an old timestamp and garbage', () => {
    const header = signatureHeader('s3cret-s3cret-s3cret', body, 1_700_000_000);
    expect(verifySignature('s3cret-s3cret-s3cret', header, '{"version":2}', { nowSeconds: 1_700_000_000 })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature('other-secret-value', header, body, { nowSeconds: 1_700_000_000 })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature('s3cret-s3cret-s3cret', header, body, { nowSeconds: 1_700_000_301 })).toEqual({ valid: false, reason: 'stale' });
    // The timestamp is signed: moving it forward breaks the signature.
    expect(verifySignature('s3cret-s3cret-s3cret', header.replace('t=1700000000', 't=1700000300'), body, { nowSeconds: 1_700_000_300 })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature('s3cret-s3cret-s3cret', 'v1=abc', body)).toEqual({ valid: false, reason: 'malformed' });
    expect(verifySignature('s3cret-s3cret-s3cret', undefined, body)).toEqual({ valid: false, reason: 'malformed' });
  });
});

describe('back-off', () => {
  it('doubles up to the cap, with jitter in the upper half', () => {
    const settings = { baseMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelayMs(40, settings, () => 1)).toBe(60_000);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"z":1}]},"b":1}');
  });
});

describe('webhook filters', () => {
  it('maps event types to filters and scopes to repositories', () => {
    expect(filterOf('registry.manifest.pushed')).toBe('pushed');
    expect(filterOf('registry.tag.deleted')).toBe('deleted');
    expect(filterOf('auth.login.failed')).toBe('security');
    expect(filterOf('hooks.alert.raised')).toBe('alert');
    expect(filterOf('registry.blob.mounted')).toBeUndefined();
    const e = pushed('team/app/api');
    expect(subscriptionMatches({ scope: 'namespace', target: 'team', events: ['pushed'] }, e)).toBe(true);
    expect(subscriptionMatches({ scope: 'namespace', target: 'tea', events: ['pushed'] }, e)).toBe(false);
    expect(subscriptionMatches({ scope: 'repository', target: 'team/app', events: ['pushed'] }, e)).toBe(false);
    expect(subscriptionMatches({ scope: 'repository', target: 'team/app/api', events: ['deleted'] }, e)).toBe(false);
  });
});

describe('in-process delivery queue', () => {
  it('runs at most perEndpointConcurrency jobs per endpoint while other endpoints proceed', async () => {
    const queue = new InProcessDeliveryQueue({ concurrency: 8, perEndpointConcurrency: 2, jobTimeoutMs: 1000 });
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    const done: string[] = [];
    queue.process(async (job) => {
      const n = (inFlight.get(job.subscriptionId) ?? 0) + 1;
      inFlight.set(job.subscriptionId, n);
      peak.set(job.subscriptionId, Math.max(peak.get(job.subscriptionId) ?? 0, n));
      await sleep(30);
      inFlight.set(job.subscriptionId, n - 1);
      done.push(job.deliveryId);
      return { kind: 'done' };
    });
    const jobs: DeliveryJob[] = [...Array.from({ length: 6 }, (_, i) => ({ deliveryId: `a${i}`, subscriptionId: 'A' })), { deliveryId: 'b0', subscriptionId: 'B' }, { deliveryId: 'b1', subscriptionId: 'B' }];
    for (const job of jobs) await queue.enqueue(job);
    await waitFor('all jobs', () => done.length === 8);
    expect(peak.get('A')).toBe(2);
    expect(peak.get('B')).toBe(2);
    // B's jobs did not wait behind A's queue.
    expect(done.indexOf('b1')).toBeLessThan(done.indexOf('a5'));
    await queue.close();
  });

  it('adds a delivery once while it is waiting or running, and runs a retry after its delay', async () => {
    const queue = new InProcessDeliveryQueue({ concurrency: 2, perEndpointConcurrency: 1, jobTimeoutMs: 1000 });
    const runs: number[] = [];
    const started = Date.now();
    queue.process(async () => {
      runs.push(Date.now() - started);
      return runs.length < 3 ? { kind: 'retry', delayMs: 50 } : { kind: 'done' };
    });
    await queue.enqueue({ deliveryId: 'd', subscriptionId: 'S' });
    await queue.enqueue({ deliveryId: 'd', subscriptionId: 'S' });
    await waitFor('three runs', () => runs.length === 3);
    await sleep(150);
    expect(runs).toHaveLength(3);
    expect(runs[2]! - runs[0]!).toBeGreaterThanOrEqual(95);
    await queue.close();
  });
});
