// The audit trail on embedded PGlite with the in-process bus: what an entry records, exactly once per
// event, filters and cursor pagination, NDJSON/CSV export, the hash chain and its verify endpoint,
// retention, and who may read what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, sql, type Database } from '@docksphere/db';
import { ADMIN, ALICE, BOB, event, pushed, pulled, startHooks, tablePolicy, type TestHooks } from './helpers.ts';

let database: Database;
let hooks: TestHooks;

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  hooks = await startHooks({ db: database.db, policy: tablePolicy({ repositories: { alice: ['alice/app'] }, namespaces: { alice: ['alice'] } }) });
});
afterAll(async () => {
  await hooks?.close();
  await database?.close();
});

async function entries(query: string, user = ADMIN) {
  const res = await hooks.app.inject({ method: 'GET', url: `/api/audit/entries${query}`, headers: await hooks.auth(user) });
  return { status: res.statusCode, body: res.json() };
}

describe('recording events', () => {
  it('records a push with actor, IP, user agent, target and time', async () => {
    const e = pushed('alice/app', 'v1');
    await hooks.bus.publish(e);
    const { status, body } = await entries(`?repository=alice/app&action=registry.manifest.pushed`);
    expect(status).toBe(200);
    const entry = body.items.find((x: { id: string }) => x.id === e.id);
    expect(entry).toMatchObject({
      action: 'registry.manifest.pushed',
      occurredAt: new Date(e.occurredAt).toISOString(),
      actor: { subject: 'user:u-alice', name: 'alice', ip: '203.0.113.7', userAgent: 'docker/27.0 go/go1.22' },
      repository: 'alice/app',
      namespace: 'alice',
      target: 'alice/app:v1',
      details: { digest: e.payload.digest, tag: 'v1', size: 512 },
    });
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records how many pulls a coalesced pull event stands for, and 1 for an event without a count', async () => {
    const coalesced = event('registry.image.pulled', { ...pulled('alice/app').payload, count: 5, firstAt: '2026-01-01T00:00:00.000Z', lastAt: '2026-01-01T00:00:00.900Z' });
    const single = pulled('alice/app');
    await hooks.bus.publish(coalesced);
    await hooks.bus.publish(single);
    const { body } = await entries(`?repository=alice/app&action=registry.image.pulled`);
    const byId = (id: string) => body.items.find((x: { id: string }) => x.id === id);
    expect(byId(coalesced.id)).toMatchObject({ target: 'alice/app:latest', details: { count: 5, firstAt: '2026-01-01T00:00:00.000Z', lastAt: '2026-01-01T00:00:00.900Z', reference: 'latest' } });
    expect(byId(single.id).details.count).toBe(1);
  });

  it('records an event delivered twice only once', async () => {
    const e = event('auth.password.changed', { userId: 'u-bob', username: 'bob' });
    expect(await hooks.consumers.handle(e)).toBe(true);
    expect(await hooks.consumers.handle(e)).toBe(false);
    await hooks.bus.publish(e);
    const { body } = await entries(`?action=auth.password.changed`);
    expect(body.items.filter((x: { id: string }) => x.id === e.id)).toHaveLength(1);
    expect(body.items[0].target).toBe('user:bob');
  });

  it('records an event whose payload lacks the fields its type promises, without failing', async () => {
    const odd = { ...pushed('x/y'), payload: { unexpected: '\u0000nul and more' } } as unknown as ReturnType<typeof pushed>;
    expect(await hooks.consumers.handle(odd)).toBe(true);
    const { body } = await entries(`?action=registry.manifest.pushed&limit=500`);
    const entry = body.items.find((x: { id: string }) => x.id === odd.id);
    expect(entry.repository).toBeNull();
    expect(entry.details).toEqual({ unexpected: '\u0000nul and more' });
  });
});

describe('query API', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) await hooks.bus.publish(pulled('team/web'));
    await hooks.bus.publish(event('registry.tag.deleted', { repository: 'team/web', tag: 'old', digest: `sha256:${'c'.repeat(64)}` }, { subject: 'user:u-bob', name: 'bob' }));
  });

  it('filters by repository, action (exact or prefix) and actor', async () => {
    const byRepo = await entries('?repository=team/web&limit=100');
    expect(byRepo.body.items).toHaveLength(8);
    const pulls = await entries('?repository=team/web&action=registry.image.pulled');
    expect(pulls.body.items).toHaveLength(7);
    const registry = await entries('?repository=team/web&action=registry.*');
    expect(registry.body.items).toHaveLength(8);
    const byBob = await entries('?repository=team/web&actor=bob');
    expect(byBob.body.items.map((x: { action: string }) => x.action)).toEqual(['registry.tag.deleted']);
    const bySubject = await entries('?repository=team/web&actor=user:u-bob');
    expect(bySubject.body.items).toHaveLength(1);
  });

  it('filters by time range', async () => {
    const past = new Date(Date.now() - 3600_000);
    const old = event('auth.user.created', { userId: 'u-old', username: 'old', source: 'admin' }, undefined, past);
    await hooks.bus.publish(old);
    const until = new Date(Date.now() - 1800_000).toISOString();
    const early = await entries(`?until=${encodeURIComponent(until)}`);
    expect(early.body.items.map((x: { id: string }) => x.id)).toEqual([old.id]);
    const late = await entries(`?since=${encodeURIComponent(until)}&action=auth.user.created`);
    expect(late.body.items).toHaveLength(0);
    const bad = await entries('?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('pages newest first with an opaque cursor, without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body } = await entries(`?repository=team/web&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items.map((x: { seq: number }) => x.seq));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(8);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(8);
    const bad = await entries('?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
  });
});

describe('export', () => {
  it('exports NDJSON, oldest first, one entry per line', async () => {
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/export?format=ndjson&repository=team/web', headers: await hooks.auth(ADMIN) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="audit-.*\.ndjson"/);
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    expect(lines[7].action).toBe('registry.tag.deleted');
  });

  it('exports CSV with a header row, quoting and formula-safe cells', async () => {
    await hooks.bus.publish(event('auth.login.failed', { username: 'mallory', reason: 'bad-credentials', channel: 'console' }, { subject: 'anonymous', name: '=cmd|calc', userAgent: 'a "quoted", agent' }));
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/export?format=csv&action=auth.login.failed', headers: await hooks.auth(ADMIN) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const [header, row, end] = res.body.split('\r\n');
    expect(header).toBe('seq,id,occurred_at,recorded_at,action,actor_subject,actor_name,ip,user_agent,repository,namespace,target,details,prev_hash,hash');
    expect(end).toBe('');
    expect(row).toContain(`,anonymous,'=cmd|calc,,"a ""quoted"", agent",,,user:mallory,"{""channel"":""console"",""reason"":""bad-credentials"",""username"":""mallory""}",`);
  });

  it('refuses an unknown format', async () => {
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/export?format=xml', headers: await hooks.auth(ADMIN) });
    expect(res.statusCode).toBe(400);
  });
});

describe('hash chain', () => {
  async function verify() {
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/verify', headers: await hooks.auth(ADMIN) });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  it('verifies an untouched chain', async () => {
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.breaks).toEqual([]);
    expect(result.checked).toBeGreaterThan(10);
    expect(result.head.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a modified row at that row, and a removed row at the one after it', async () => {
    const rows = (await sql<{ seq: number; id: string }>`select seq, id from audit.entries order by seq`.execute(database.db)).rows;
    const victim = rows[3]!;
    await sql`update audit.entries set ip = '198.51.100.1' where seq = ${victim.seq}`.execute(database.db);
    let result = await verify();
    expect(result.ok).toBe(false);
    expect(result.breaks).toEqual([expect.objectContaining({ seq: Number(victim.seq), kind: 'hash' })]);

    const removed = rows[6]!;
    await sql`delete from audit.entries where seq = ${removed.seq}`.execute(database.db);
    result = await verify();
    expect(result.breaks.map((b: { seq: number; kind: string }) => [b.seq, b.kind])).toEqual([
      [Number(victim.seq), 'hash'],
      [Number(rows[7]!.seq), 'link'],
    ]);
  });

  it('is verifiable only by site admins', async () => {
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/verify', headers: await hooks.auth(ALICE) });
    expect(res.statusCode).toBe(403);
  });
});

describe('who may read', () => {
  it('asks for a login', async () => {
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/entries' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
  });

  it('refuses tokens for another audience, another issuer, or expired', async () => {
    for (const token of [
      await hooks.keys.token(ADMIN, { audience: 'docksphere' }),
      await hooks.keys.token(ADMIN, { issuer: 'someone-else' }),
      await hooks.keys.token(ADMIN, { expiresIn: '-5m' }),
    ]) {
      const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/entries', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
    }
  });

  it('lets a repository admin read that repository only', async () => {
    const own = await entries('?repository=alice/app', ALICE);
    expect(own.status).toBe(200);
    expect(own.body.items.length).toBeGreaterThan(0);
    expect(own.body.items.every((x: { repository: string }) => x.repository === 'alice/app')).toBe(true);
    const other = await entries('?repository=team/web', ALICE);
    expect(other.status).toBe(403);
    const everything = await entries('', ALICE);
    expect(everything.status).toBe(403);
    const ns = await entries('?namespace=alice', ALICE);
    expect(ns.status).toBe(200);
    const bob = await entries('?repository=alice/app', BOB);
    expect(bob.status).toBe(403);
    const exported = await hooks.app.inject({ method: 'GET', url: '/api/audit/export?format=ndjson&repository=team/web', headers: await hooks.auth(ALICE) });
    expect(exported.statusCode).toBe(403);
  });

  it('accepts the console access cookie', async () => {
    const token = await hooks.keys.token(ADMIN);
    const res = await hooks.app.inject({ method: 'GET', url: '/api/audit/entries?limit=1', headers: { cookie: `ds_csrf=x; ds_access=${token}` } });
    expect(res.statusCode).toBe(200);
  });
});
