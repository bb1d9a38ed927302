// The metadata service on a real Postgres: two replicas on one database, migrations started
// concurrently, concurrent edits and creations, and an event delivered to both replicas handled once.
import { postgresBinDir, requireServer, startPostgres, type RunningPostgres } from '@docksphere/infra';
import { newEvent } from '@docksphere/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantedOn, makeConsoleKeys, repoScope, startMetadata, userSubject, type TestMetadata } from './helpers.ts';

const alice = { id: 'id-alice', username: 'alice' };
const bob = { id: 'id-bob', username: 'bob' };
const enc = encodeURIComponent;

describe.skipIf(!requireServer('PostgreSQL', postgresBinDir() !== undefined))('metadata on a real Postgres', () => {
  let pg: RunningPostgres;
  let one: TestMetadata;
  let two: TestMetadata;

  beforeAll(async () => {
    pg = await startPostgres({ database: 'metadata_test' });
    // Both replicas migrate at once: the advisory lock lets one apply while the other waits.
    const keys = await makeConsoleKeys();
    [one, two] = await Promise.all([startMetadata({ databaseUrl: pg.url, keys }), startMetadata({ databaseUrl: pg.url, keys })]);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await pg?.stop();
  });

  it('shares state between replicas and decides access the same on both', async () => {
    const a1 = await one.as(alice);
    await two.as(bob);
    expect((await one.app.inject({ method: 'POST', url: '/api/repositories', headers: a1, payload: { name: 'alice/app', visibility: 'private', description: 'the app' } })).statusCode).toBe(201);
    for (const replica of [one, two]) {
      expect(grantedOn(await replica.access(userSubject(alice), [repoScope('alice/app')]), 'alice/app')).toEqual(['delete', 'pull', 'push']);
      expect(grantedOn(await replica.access(userSubject(bob), [repoScope('alice/app')]), 'alice/app')).toEqual([]);
    }
    const hits = await two.app.inject({ method: 'GET', url: '/api/search?q=app', headers: { authorization: `Bearer ${await two.tokenFor(alice)}` } });
    expect(hits.json().items.map((r: { name: string }) => r.name)).toEqual(['alice/app']);
    expect((await two.app.inject({ method: 'GET', url: '/api/pages' })).json().items).toHaveLength(4);
  });

  it('creates a repository once when two replicas race for the name', async () => {
    const h = { authorization: `Bearer ${await one.tokenFor(alice)}` };
    const results = await Promise.all(
      [one, two].map((replica) => replica.app.inject({ method: 'POST', url: '/api/repositories', headers: h, payload: { name: 'alice/race', visibility: 'public' } })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
  });

  it('numbers concurrent document edits densely, none lost', async () => {
    const h = { authorization: `Bearer ${await one.tokenFor(alice)}` };
    const url = `/api/repositories/${enc('alice/app')}/docs`;
    const edits = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? one : two).app.inject({ method: 'PUT', url, headers: h, payload: { markdown: `edit ${i}` } })));
    expect(edits.every((r) => r.statusCode === 200)).toBe(true);
    expect(edits.map((r) => r.json().version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('handles an event delivered to both replicas once', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const push = newEvent('registry.manifest.pushed', { subject: 'alice' }, { repository: 'alice/pushed', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, tag: 'v1' });
    await Promise.all([one.bus.publish(push), two.bus.publish(push)]);
    const h = { authorization: `Bearer ${await one.tokenFor(alice)}` };
    const history = await one.app.inject({ method: 'GET', url: `/api/repositories/${enc('alice/pushed')}/tags/v1/history`, headers: h });
    expect(history.json().items).toHaveLength(1);
    const created = await one.db.db.withSchema('platform').selectFrom('outbox').select('type').where('type', '=', 'metadata.repository.created').execute();
    expect(created).toHaveLength(3);
  });
});
