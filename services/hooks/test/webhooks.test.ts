// Webhooks and alerts on embedded PGlite with the in-process bus and queue, delivering to a real
// HTTP receiver on 127.0.0.1 (allowlisted for this suite): subscriptions and who may manage them,
// the SSRF guard at creation and at delivery, signed versioned payloads, filters, retries with the
// attempts logged, redelivery, pings, automatic disabling with its alert, and the alert rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import os from 'node:os';
import { openDatabase, type Database } from '@docksphere/db';
import { SecretBox, secretKeyId } from '@docksphere/kit';
import { hooksPlugin, InProcessDeliveryQueue, sealStoredSigningSecrets, systemInterfaceAddresses, verifySignature, type HostResolver } from '../src/index.ts';
import { ADMIN, ALICE, BOB, event, pulled, pushed, silent, startHooks, startReceiver, tablePolicy, TEST_SECRETS_KEY, testConfig, waitFor, type Receiver, type TestHooks } from './helpers.ts';

let database: Database;
let hooks: TestHooks;
let receiver: Receiver;
/** Answers of the test resolver; anything else is not found. */
const dns = new Map<string, string[]>();
const resolver: HostResolver = async (hostname) => {
  const addresses = dns.get(hostname);
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
/** A public address this suite's hooks service treats as one of its own interfaces (besides the real ones). */
const OWN_PUBLIC = '203.0.113.77';

beforeAll(async () => {
  receiver = await startReceiver();
  database = await openDatabase({ dataDir: 'memory://' });
  hooks = await startHooks({
    db: database.db,
    env: { WEBHOOK_ALLOWLIST: '127.0.0.1/32', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_DISABLE_AFTER_FAILURES: '2', ALERT_FAILED_LOGINS: '5', ALERT_FAILED_LOGIN_WINDOW_MINUTES: '10' },
    policy: tablePolicy({ repositories: { alice: ['alice/app'] }, namespaces: { alice: ['alice'] } }),
    resolver,
    interfaceAddresses: () => [...systemInterfaceAddresses(), OWN_PUBLIC],
  });
});
afterAll(async () => {
  await hooks?.close();
  await database?.close();
  await receiver?.stop();
});

interface Created {
  webhook: { id: string; active: boolean; events: string[] };
  secret: string;
}

async function createWebhook(body: Record<string, unknown>, user = ADMIN) {
  const res = await hooks.app.inject({ method: 'POST', url: '/api/webhooks', headers: await hooks.auth(user), payload: body });
  return { status: res.statusCode, body: res.json() as Created & { error: { code: string; message: string } } };
}

async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, user = ADMIN, payload?: object) {
  const res = await hooks.app.inject({ method, url, headers: await hooks.auth(user), ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

const on = (path: string) => receiver.received.filter((r) => r.url === path);

describe('subscriptions', () => {
  it('lets a repository admin create a webhook on their repository and shows the secret only once', async () => {
    const { status, body } = await createWebhook({ url: `${receiver.url}?r=alice`, scope: 'repository', target: 'alice/app', events: ['pushed'] }, ALICE);
    expect(status).toBe(201);
    expect(body.secret).toMatch(/^whsec_/);
    const read = await api('GET', `/api/webhooks/${body.webhook.id}`, ALICE);
    expect(read.status).toBe(200);
    expect(read.body.webhook).toMatchObject({ scope: 'repository', target: 'alice/app', events: ['pushed'], active: true, createdBy: 'alice' });
    expect(JSON.stringify(read.body)).not.toContain(body.secret);
  });

  it('refuses what the caller does not administer, and hides others\' webhooks', async () => {
    expect((await createWebhook({ url: receiver.url, scope: 'repository', target: 'team/web', events: ['pushed'] }, ALICE)).status).toBe(403);
    expect((await createWebhook({ url: receiver.url, scope: 'site', events: ['pushed'] }, ALICE)).status).toBe(403);
    expect((await createWebhook({ url: receiver.url, scope: 'namespace', target: 'alice', events: ['pushed'] }, BOB)).status).toBe(403);
    const { body } = await createWebhook({ url: receiver.url, scope: 'namespace', target: 'alice', events: ['deleted'] }, ALICE);
    expect((await api('GET', `/api/webhooks/${body.webhook.id}`, BOB)).status).toBe(404);
    expect((await api('DELETE', `/api/webhooks/${body.webhook.id}`, BOB)).status).toBe(404);
    expect((await api('GET', '/api/webhooks', BOB)).status).toBe(403);
    const listed = await api('GET', '/api/webhooks?scope=namespace&target=alice', ALICE);
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([body.webhook.id]);
    expect((await api('DELETE', `/api/webhooks/${body.webhook.id}`, ALICE)).status).toBe(204);
    expect((await api('GET', `/api/webhooks/${body.webhook.id}`, ALICE)).status).toBe(404);
  });

  it('validates scope, target and filters', async () => {
    const cases: Record<string, unknown>[] = [
      { url: receiver.url, scope: 'repository', events: ['pushed'] },
      { url: receiver.url, scope: 'site', target: 'x', events: ['pushed'] },
      { url: receiver.url, scope: 'repository', target: 'Bad Name', events: ['pushed'] },
      { url: receiver.url, scope: 'repository', target: 'alice/app', events: ['security'] },
      { url: receiver.url, scope: 'site', events: [] },
      { url: receiver.url, scope: 'site', events: ['everything'] },
      { url: receiver.url, scope: 'site', events: ['pushed'], extra: 1 },
      { url: 'ftp://example.com/', scope: 'site', events: ['pushed'] },
      { url: 'http://user:pw@example.com/', scope: 'site', events: ['pushed'] },
    ];
    for (const c of cases) {
      const { status, body } = await createWebhook(c);
      expect(status, JSON.stringify(c)).toBe(400);
      expect(body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses loopback, private, link-local and metadata targets by default', async () => {
    const app = Fastify({ logger: false });
    await app.register(hooksPlugin, { db: database.db, config: testConfig(), queue: new InProcessDeliveryQueue({ concurrency: 1, perEndpointConcurrency: 1, jobTimeoutMs: 1000 }), logger: silent, consoleAuth: { jwks: hooks.keys.jwks } });
    const refused = [
      'http://127.0.0.1:8080/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/hook',
      'http://192.168.1.1/',
      'http://[::1]:9000/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
      'http://0x7f.1/',
      'http://localhost:8080/hook',
    ];
    for (const url of refused) {
      const res = await app.inject({ method: 'POST', url: '/api/webhooks', headers: await hooks.auth(ADMIN), payload: { url, scope: 'site', events: ['pushed'] } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.message, url).toMatch(/refused: .*(loopback|private|link-local|unique-local|unspecified|IPv4-mapped)/);
    }
    await app.close();
  });

  it("refuses the server's own interface addresses, by address or by a name resolving to one", async () => {
    const own = await createWebhook({ url: `http://${OWN_PUBLIC}:5000/v2/`, scope: 'site', events: ['pushed'] });
    expect(own.status).toBe(400);
    expect(own.body.error.message).toMatch(new RegExp(`refused: ${OWN_PUBLIC.replace(/\./g, '\\.')} is an address of this server`));
    dns.set('self.test', ['93.184.216.34', OWN_PUBLIC]);
    const named = await createWebhook({ url: 'http://self.test/hook', scope: 'site', events: ['pushed'] });
    expect(named.status).toBe(400);
    expect(named.body.error.message).toMatch(/self\.test resolves to 203\.0\.113\.77 is an address of this server/);
    // Every address of this machine's real interfaces is refused, whatever class it has.
    const real = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
    expect(real.length).toBeGreaterThan(0);
    for (const address of real) {
      const host = address.includes(':') ? `[${address}]` : address;
      if (address === '127.0.0.1') continue; // this suite allowlists the receiver's loopback address
      expect((await createWebhook({ url: `http://${host}/`, scope: 'site', events: ['pushed'] })).status, address).toBe(400);
    }
  });

  it('allows exactly what the allowlist names', async () => {
    expect((await createWebhook({ url: 'http://127.0.0.2/', scope: 'site', events: ['pushed'] })).status).toBe(400);
    expect((await createWebhook({ url: 'http://169.254.169.254/', scope: 'site', events: ['pushed'] })).status).toBe(400);
    // localhost also resolves to ::1, which the allowlist does not name.
    dns.set('both.test', ['127.0.0.1', '::1']);
    expect((await createWebhook({ url: 'http://both.test/', scope: 'site', events: ['pushed'] })).status).toBe(400);
  });
});

describe('signing secrets at rest', () => {
  const row = (id: string) => database.db.withSchema('audit').selectFrom('subscriptions').select(['secret', 'secret_key_id']).where('id', '=', id).executeTakeFirstOrThrow();
  const testKey = Buffer.from(TEST_SECRETS_KEY, 'base64');
  const otherKey = Buffer.alloc(32, 0x5e);

  it('stores the secret sealed under the configured key, seals plain-text rows at start, and follows a rotation', async () => {
    const { body: created } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/sealed`, scope: 'repository', target: 'team/sealed', events: ['pushed'] });
    const stored = await row(created.webhook.id);
    expect(stored.secret_key_id).toBe(secretKeyId(testKey));
    expect(stored.secret).not.toContain(created.secret);
    expect(Buffer.from(stored.secret, 'base64').toString('latin1')).not.toContain(created.secret);

    // A row from before encryption: the start-up pass seals it, and deliveries are signed with the same secret.
    await database.db.withSchema('audit').updateTable('subscriptions').set({ secret: created.secret, secret_key_id: null }).where('id', '=', created.webhook.id).execute();
    expect(await sealStoredSigningSecrets(database.db, new SecretBox([testKey]), silent)).toMatchObject({ sealed: 1, unreadable: 0 });
    expect((await row(created.webhook.id)).secret_key_id).toBe(secretKeyId(testKey));
    await hooks.bus.publish(pushed('team/sealed', 'one'));
    const [first] = await waitFor('signed delivery', () => on('/sealed').length === 1 && on('/sealed'));
    expect(verifySignature(created.secret, first!.headers['x-docksphere-signature'] as string, first!.body)).toMatchObject({ valid: true });

    // Rotated to a key this server's processor does not hold: it refuses to send unsigned.
    await sealStoredSigningSecrets(database.db, new SecretBox([otherKey, testKey]), silent);
    expect((await row(created.webhook.id)).secret_key_id).toBe(secretKeyId(otherKey));
    await hooks.bus.publish(pushed('team/sealed', 'two'));
    const failed = await waitFor('unsigned delivery refused', async () => {
      const res = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries`);
      return res.body.items.find((d: { state: string }) => d.state === 'failed');
    });
    expect(failed.lastError).toMatch(/cannot sign: the secret was sealed with key [0-9a-f]{16}, which is not configured/);
    expect(on('/sealed')).toHaveLength(1);

    // Back under the key it holds: deliveries are signed again with the original secret.
    await sealStoredSigningSecrets(database.db, new SecretBox([testKey, otherKey]), silent);
    await hooks.bus.publish(pushed('team/sealed', 'three'));
    const [, second] = await waitFor('signed again', () => on('/sealed').length === 2 && on('/sealed'));
    expect(verifySignature(created.secret, second!.headers['x-docksphere-signature'] as string, second!.body)).toMatchObject({ valid: true });
  });
});

describe('deliveries', () => {
  it('delivers a push as a signed, versioned payload', async () => {
    const { body: created } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/signed`, scope: 'repository', target: 'team/signed', events: ['pushed'] });
    const e = pushed('team/signed', 'v2');
    await hooks.bus.publish(e);
    const [request] = await waitFor('the delivery', () => on('/signed').length === 1 && on('/signed'));
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-docksphere-event']).toBe('registry.manifest.pushed');
    expect(request!.headers['user-agent']).toMatch(/^DockSphere-Webhooks\//);
    expect(verifySignature(created.secret, request!.headers['x-docksphere-signature'] as string, request!.body)).toEqual({ valid: true, timestamp: expect.any(Number) });
    expect(verifySignature('whsec_wrong-secret-000000', request!.headers['x-docksphere-signature'] as string, request!.body)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature(created.secret, request!.headers['x-docksphere-signature'] as string, request!.body.replace('v2', 'v3'))).toEqual({ valid: false, reason: 'mismatch' });
    const payload = JSON.parse(request!.body);
    expect(payload).toEqual({
      version: 1,
      event: { id: e.id, type: 'registry.manifest.pushed', category: 'pushed', occurredAt: e.occurredAt },
      actor: { subject: 'user:u-alice', name: 'alice' },
      repository: 'team/signed',
      namespace: 'team',
      data: e.payload,
      subscription: { id: created.webhook.id, scope: 'repository', target: 'team/signed' },
    });
    const log = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries`);
    expect(log.body.items).toEqual([expect.objectContaining({ id: request!.headers['x-docksphere-delivery'], state: 'delivered', attempts: 1, lastStatus: 200, eventId: e.id })]);
  });

  it('delivers a coalesced pull with its count, and count 1 for a pull event without one', async () => {
    await createWebhook({ url: `http://127.0.0.1:${receiver.port}/pulls`, scope: 'repository', target: 'team/pulls', events: ['pulled'] });
    const coalesced = event('registry.image.pulled', { ...pulled('team/pulls').payload, count: 5, firstAt: '2026-01-01T00:00:00.000Z', lastAt: '2026-01-01T00:00:00.900Z' });
    const single = pulled('team/pulls');
    await hooks.bus.publish(coalesced);
    await hooks.bus.publish(single);
    await waitFor('two pull deliveries', () => on('/pulls').length >= 2);
    const bodies = on('/pulls').map((r) => JSON.parse(r.body));
    const byId = (id: string) => bodies.find((b: { event: { id: string } }) => b.event.id === id);
    expect(byId(coalesced.id)).toMatchObject({ event: { type: 'registry.image.pulled', category: 'pulled' }, data: { ...coalesced.payload, count: 5 } });
    expect(byId(single.id).data).toEqual({ ...single.payload, count: 1 });
  });

  it('sends only the events a subscription filters for, in its scope', async () => {
    await createWebhook({ url: `http://127.0.0.1:${receiver.port}/ns`, scope: 'namespace', target: 'ns1', events: ['pushed', 'deleted'] });
    await hooks.bus.publish(pulled('ns1/a'));
    await hooks.bus.publish(pushed('ns2/a'));
    await hooks.bus.publish(event('registry.tag.deleted', { repository: 'ns1/deep/b', tag: 't', digest: `sha256:${'d'.repeat(64)}` }));
    await hooks.bus.publish(pushed('ns1/a'));
    await waitFor('two deliveries', () => on('/ns').length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const types = on('/ns').map((r) => [JSON.parse(r.body).event.type, JSON.parse(r.body).repository]);
    expect(types.sort()).toEqual([
      ['registry.manifest.pushed', 'ns1/a'],
      ['registry.tag.deleted', 'ns1/deep/b'],
    ]);
  });

  it('retries with back-off, logs every attempt, and delivers once', async () => {
    const { body: created } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/flaky`, scope: 'repository', target: 'team/flaky', events: ['pushed'] });
    let calls = 0;
    receiver.respond = (r) => (r.url === '/flaky' && ++calls <= 2 ? 500 : 200);
    try {
      await hooks.bus.publish(pushed('team/flaky'));
      const list = await waitFor('delivered', async () => {
        const res = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries`);
        return res.body.items[0]?.state === 'delivered' && res.body.items;
      });
      expect(list).toHaveLength(1);
      const detail = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries/${list[0].id}`);
      expect(detail.body.attempts.map((a: { attempt: number; status: number }) => [a.attempt, a.status])).toEqual([
        [1, 500],
        [2, 500],
        [3, 200],
      ]);
      for (const a of detail.body.attempts) {
        expect(a.durationMs).toBeGreaterThanOrEqual(0);
        expect(a.remoteAddress).toBe('127.0.0.1');
        expect(a.requestHeaders['x-docksphere-delivery']).toBe(list[0].id);
      }
      expect(detail.body.attempts[0].error).toBe('receiver answered 500');
      expect(JSON.parse(detail.body.delivery.body).version).toBe(1);
      const ids = on('/flaky').map((r) => [r.headers['x-docksphere-delivery'], r.headers['x-docksphere-attempt']]);
      expect(ids).toEqual([1, 2, 3].map((n) => [list[0].id, String(n)]));
    } finally {
      receiver.respond = () => 200;
    }
  });

  it('redelivers on request with a new delivery id and the same body, and pings', async () => {
    const { body: created } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/again`, scope: 'repository', target: 'team/again', events: ['pushed'] });
    await hooks.bus.publish(pushed('team/again'));
    const [first] = await waitFor('first delivery', () => on('/again').length === 1 && on('/again'));
    const firstId = first!.headers['x-docksphere-delivery'] as string;
    const re = await api('POST', `/api/webhooks/${created.webhook.id}/deliveries/${firstId}/redeliver`);
    expect(re.status).toBe(202);
    expect(re.body.delivery.redeliveryOf).toBe(firstId);
    const [, second] = await waitFor('redelivery', () => on('/again').length === 2 && on('/again'));
    expect(second!.headers['x-docksphere-delivery']).toBe(re.body.delivery.id);
    expect(second!.body).toBe(first!.body);

    const ping = await api('POST', `/api/webhooks/${created.webhook.id}/ping`);
    expect(ping.status).toBe(202);
    const [, , third] = await waitFor('ping', () => on('/again').length === 3 && on('/again'));
    expect(third!.headers['x-docksphere-event']).toBe('ping');
    expect(JSON.parse(third!.body)).toMatchObject({ version: 1, event: { type: 'ping' }, subscription: { id: created.webhook.id } });
    expect((await api('POST', `/api/webhooks/${created.webhook.id}/deliveries/${crypto.randomUUID()}/redeliver`)).status).toBe(404);
  });

  it('connects to the address it checked, keeping the Host header', async () => {
    dns.set('receiver.test', ['127.0.0.1']);
    await createWebhook({ url: `http://receiver.test:${receiver.port}/pinned`, scope: 'repository', target: 'team/pinned', events: ['pushed'] });
    await hooks.bus.publish(pushed('team/pinned'));
    const [request] = await waitFor('pinned delivery', () => on('/pinned').length === 1 && on('/pinned'));
    expect(request!.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it('refuses at delivery time a host that now resolves to a private address (DNS rebinding)', async () => {
    dns.set('rebind.test', ['93.184.216.34']);
    const { status, body: created } = await createWebhook({ url: 'http://rebind.test/hook', scope: 'repository', target: 'team/rebind', events: ['pushed'] });
    expect(status).toBe(201);
    dns.set('rebind.test', ['10.0.0.5']);
    await hooks.bus.publish(pushed('team/rebind'));
    const delivery = await waitFor('refused delivery', async () => {
      const res = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries`);
      return res.body.items[0]?.state === 'failed' && res.body.items[0];
    });
    // Refused, not retried: the guard's answer would not change on a retry.
    expect(delivery.attempts).toBe(1);
    expect(delivery.lastError).toMatch(/refused: rebind.test resolves to 10.0.0.5 is a private address/);
  });

  it('refuses at delivery time a host that now resolves to one of the server\'s own addresses', async () => {
    dns.set('rebind-self.test', ['93.184.216.34']);
    const { status, body: created } = await createWebhook({ url: 'http://rebind-self.test/hook', scope: 'repository', target: 'team/rebind-self', events: ['pushed'] });
    expect(status).toBe(201);
    dns.set('rebind-self.test', [OWN_PUBLIC]);
    await hooks.bus.publish(pushed('team/rebind-self'));
    const delivery = await waitFor('refused delivery', async () => {
      const res = await api('GET', `/api/webhooks/${created.webhook.id}/deliveries`);
      return res.body.items[0]?.state === 'failed' && res.body.items[0];
    });
    expect(delivery.attempts).toBe(1);
    expect(delivery.lastError).toMatch(/refused: rebind-self.test resolves to 203.0.113.77 is an address of this server/);
  });

  it('disables a webhook after repeated failed deliveries and raises an alert', async () => {
    const { body: alerts } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/alerts`, scope: 'site', events: ['alert'] });
    const { body: broken } = await createWebhook({ url: `http://127.0.0.1:${receiver.port}/broken`, scope: 'repository', target: 'team/broken', events: ['pushed'] });
    receiver.respond = (r) => (r.url === '/broken' ? 503 : 200);
    try {
      await hooks.bus.publish(pushed('team/broken', 'a'));
      await hooks.bus.publish(pushed('team/broken', 'b'));
      const disabled = await waitFor('disabled', async () => {
        const res = await api('GET', `/api/webhooks/${broken.webhook.id}`);
        return res.body.webhook.active === false && res.body.webhook;
      });
      expect(disabled.disabledReason).toMatch(/disabled after 2 failed deliveries in a row; last error: receiver answered 503/);
      expect(on('/broken')).toHaveLength(6);
      const [alert] = await waitFor('alert delivered', () => on('/alerts').length > 0 && on('/alerts'));
      const payload = JSON.parse(alert!.body);
      expect(payload.event.type).toBe('hooks.alert.raised');
      expect(payload.data).toMatchObject({ rule: 'webhook-disabled', subject: `webhook:${broken.webhook.id}` });
      expect(payload.subscription.id).toBe(alerts.webhook.id);
      const list = await api('GET', '/api/audit/alerts');
      expect(list.body.items[0]).toMatchObject({ rule: 'webhook-disabled', severity: 'warning', acknowledgedAt: null });
      const [audited] = await waitFor('audited', async () => {
        const res = await api('GET', '/api/audit/entries?action=hooks.webhook.disabled');
        return res.body.items.length === 1 && res.body.items;
      });
      expect(audited).toMatchObject({ target: `webhook:${broken.webhook.id}`, repository: 'team/broken', actor: { subject: 'system', name: 'hooks' } });
      // Nothing more is sent to a disabled webhook; enabling it again resets its failure count.
      await hooks.bus.publish(pushed('team/broken', 'c'));
      await new Promise((r) => setTimeout(r, 300));
      expect(on('/broken')).toHaveLength(6);
      const enabled = await api('PATCH', `/api/webhooks/${broken.webhook.id}`, ADMIN, { active: true });
      expect(enabled.body.webhook).toMatchObject({ active: true, consecutiveFailures: 0, disabledReason: null });
    } finally {
      receiver.respond = () => 200;
    }
  });
});

describe('alerts', () => {
  const alertsOf = async (rule: string) => (await api('GET', '/api/audit/alerts?limit=500')).body.items.filter((a: { rule: string }) => a.rule === rule);

  it('raises one alert for many failed logins on one account within the window', async () => {
    const failed = (username: string) => event('auth.login.failed', { username, reason: 'bad-credentials', channel: 'docker' }, { subject: 'anonymous', ip: '198.51.100.9' });
    for (let i = 0; i < 4; i++) await hooks.bus.publish(failed('carol'));
    for (let i = 0; i < 4; i++) await hooks.bus.publish(failed('dave'));
    expect(await alertsOf('failed-logins')).toEqual([]);
    await hooks.bus.publish(failed('carol'));
    await hooks.bus.publish(failed('carol'));
    const raised = await alertsOf('failed-logins');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ subject: 'user:carol', severity: 'warning', summary: '5 failed logins for account "carol" within 10 minutes' });
    expect(raised[0].eventIds).toHaveLength(5);
  });

  it('raises an alert when site admin is granted, not when it is revoked', async () => {
    await hooks.bus.publish(event('auth.admin.changed', { userId: 'u-erin', username: 'erin', admin: true }, { subject: 'user:u-admin', name: 'admin' }));
    await hooks.bus.publish(event('auth.admin.changed', { userId: 'u-frank', username: 'frank', admin: false }, { subject: 'user:u-admin', name: 'admin' }));
    const raised = await alertsOf('site-admin-granted');
    expect(raised.map((a: { subject: string; severity: string }) => [a.subject, a.severity])).toEqual([['user:erin', 'critical']]);
  });

  it('raises an alert for an access token created with delete scope', async () => {
    await hooks.bus.publish(event('auth.token.created', { tokenId: 't1', kind: 'access-token', name: 'ci-pull', owner: 'alice', scopes: ['pull'] }));
    await hooks.bus.publish(event('auth.token.created', { tokenId: 't2', kind: 'access-token', name: 'cleanup', owner: 'alice', scopes: ['pull', 'delete'] }));
    const raised = await alertsOf('delete-scope-token');
    expect(raised).toHaveLength(1);
    expect(raised[0].summary).toBe('access-token "cleanup" created with delete scope by alice');
  });

  it('lists alerts for site admins only, and acknowledges them', async () => {
    expect((await api('GET', '/api/audit/alerts', ALICE)).status).toBe(403);
    const [first] = (await api('GET', '/api/audit/alerts?unacknowledged=true')).body.items;
    const ack = await api('POST', `/api/audit/alerts/${first.id}/acknowledge`);
    expect(ack.body.alert).toMatchObject({ id: first.id, acknowledgedBy: 'admin' });
    const open = (await api('GET', '/api/audit/alerts?unacknowledged=true&limit=500')).body.items;
    expect(open.map((a: { id: string }) => a.id)).not.toContain(first.id);
  });
});
