import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, sql, type Database } from '@docksphere/db';
import type { DomainEvent } from '@docksphere/events';
import { createLogger } from '@docksphere/kit';
import { PullEvents } from '../src/domain/pull-events.ts';
import { migrateRegistry } from '../src/index.ts';

describe('pull events', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await migrateRegistry(database.db);
  });
  afterAll(async () => database.close());

  it("writes a busy second's pulls in bounded batches, every one of them, letting other work run between batches", async () => {
    let inserts = 0;
    const plugin: KyselyPlugin = {
      transformQuery: (args) => {
        if (args.node.kind === 'InsertQueryNode') inserts++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const pulls = new PullEvents({ db: database.db.withPlugin(plugin), logger: createLogger({ level: 'silent' }), sampleRate: 1, flushIntervalMs: 60_000 });
    for (let i = 0; i < 600; i++) {
      pulls.record({ subject: 'anonymous', ip: '127.0.0.1' }, { repository: 'team/busy', digest: `sha256:${'a'.repeat(64)}`, reference: `t${i}`, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    }
    let interleaved = 0;
    const tick = setInterval(() => interleaved++, 0);
    await pulls.flush();
    clearInterval(tick);
    const rows = await sql<{ n: string }>`select count(*) as n from registry.outbox where type = 'registry.image.pulled' and event->'payload'->>'repository' = 'team/busy'`.execute(database.db);
    expect(Number(rows.rows[0]?.n)).toBe(600);
    expect(inserts).toBeGreaterThanOrEqual(3);
    expect(interleaved).toBeGreaterThan(0);
  });

  const pulledRows = async (repository: string) =>
    (await sql<{ event: DomainEvent<'registry.image.pulled'> }>`select event from registry.outbox where type = 'registry.image.pulled' and event->'payload'->>'repository' = ${repository} order by seq`.execute(database.db)).rows.map((r) => r.event);
  const manifest = { digest: `sha256:${'c'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json' };

  it('coalesces identical pulls in a window into one event with their count and first/last times', async () => {
    const pulls = new PullEvents({ db: database.db, logger: createLogger({ level: 'silent' }), sampleRate: 1, flushIntervalMs: 60_000 });
    const docker = { subject: 'user:u1', name: 'alice', ip: '10.0.0.1', userAgent: 'docker/27' };
    const started = Date.now();
    for (let i = 0; i < 1000; i++) pulls.record(docker, { repository: 'team/hot', reference: 'latest', ...manifest });
    await new Promise((r) => setTimeout(r, 20));
    pulls.record(docker, { repository: 'team/hot', reference: 'latest', ...manifest });
    // Each of these differs from the group above in one part of the key.
    pulls.record({ ...docker, ip: '10.0.0.2' }, { repository: 'team/hot', reference: 'latest', ...manifest });
    pulls.record({ ...docker, userAgent: 'podman/5' }, { repository: 'team/hot', reference: 'latest', ...manifest });
    pulls.record({ subject: 'anonymous', ip: '10.0.0.1', userAgent: 'docker/27' }, { repository: 'team/hot', reference: 'latest', ...manifest });
    pulls.record(docker, { repository: 'team/hot', reference: manifest.digest, ...manifest });
    await pulls.flush();
    const events = await pulledRows('team/hot');
    expect(events.map((e) => e.payload.count)).toEqual([1001, 1, 1, 1, 1]);
    const [hot] = events;
    expect(hot?.actor).toEqual(docker);
    expect(hot?.payload).toMatchObject({ repository: 'team/hot', reference: 'latest', digest: manifest.digest, mediaType: manifest.mediaType });
    const first = Date.parse(hot!.payload.firstAt!);
    const last = Date.parse(hot!.payload.lastAt!);
    expect(first).toBeGreaterThanOrEqual(started);
    expect(last - first).toBeGreaterThanOrEqual(15);
    expect(hot?.occurredAt).toBe(hot?.payload.lastAt);
    // The next window starts from zero.
    pulls.record(docker, { repository: 'team/hot', reference: 'latest', ...manifest });
    await pulls.flush();
    expect((await pulledRows('team/hot')).map((e) => e.payload.count)).toEqual([1001, 1, 1, 1, 1, 1]);
  });

  it('bounds the buffer: pulls that would start a group past the cap are dropped and logged, known groups still count', async () => {
    const logger = createLogger({ level: 'silent' });
    const warn = vi.spyOn(logger, 'warn');
    const pulls = new PullEvents({ db: database.db, logger, sampleRate: 1, flushIntervalMs: 60_000, maxBuffered: 2 });
    const actor = { subject: 'anonymous', ip: '127.0.0.1' };
    for (const reference of ['a', 'b', 'c', 'd', 'a', 'e']) pulls.record(actor, { repository: 'team/capped', reference, ...manifest });
    await pulls.flush();
    expect((await pulledRows('team/capped')).map((e) => [e.payload.reference, e.payload.count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(warn).toHaveBeenCalledWith({ dropped: 3, groups: 2 }, expect.stringContaining('buffer full'));
  });

  it('samples before coalescing: rate 0 records nothing', async () => {
    const pulls = new PullEvents({ db: database.db, logger: createLogger({ level: 'silent' }), sampleRate: 0, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) pulls.record({ subject: 'anonymous' }, { repository: 'team/unsampled', reference: 'latest', ...manifest });
    await pulls.flush();
    expect(await pulledRows('team/unsampled')).toEqual([]);
  });
});
