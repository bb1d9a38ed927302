import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, sql, type Database } from '@docksphere/db';
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
});
