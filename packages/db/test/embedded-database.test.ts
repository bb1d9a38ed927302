// The embedded database as callers see it: PGlite in a child process of its own, reached over the
// Postgres protocol. Opens and closes, transactions, many callers on its one connection, a child
// that never outlives its parent, a crash that fails queries clearly, start-up errors.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, sql, type Database, type DatabaseLogger } from '../src/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'db-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(options: Parameters<typeof openDatabase>[0] = { dataDir: 'memory://' }): Promise<Database> {
  const database = await openDatabase(options);
  cleanups.push(() => database.close());
  return database;
}

/** Live child processes of a pid, from /proc (the database process is not exposed on purpose). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

function databaseChildOf(pid: number): number {
  const found = childrenOf(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('pglite-server');
    } catch {
      return false;
    }
  });
  expect(found).toHaveLength(1);
  return found[0] as number;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function socketDirsOf(childPid: number): string[] {
  const cmdline = readFileSync(`/proc/${childPid}/cmdline`, 'utf8').split('\0');
  const args = JSON.parse(cmdline.find((arg) => arg.startsWith('{')) as string) as { socketDir: string; socketPath: string };
  return [args.socketDir, args.socketPath];
}

describe('embedded database (PGlite in a child process)', () => {
  it('answers queries as the pglite kind, int8 as numbers, and close stops the process and removes its socket', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    const child = databaseChildOf(process.pid);
    const [socketDir, socketPath] = socketDirsOf(child);
    expect(existsSync(socketPath as string)).toBe(true);
    expect(Buffer.byteLength(socketPath as string)).toBeLessThanOrEqual(107);

    expect(database.kind).toBe('pglite');
    const { rows } = await sql<{ n: number; t: string }>`select ${'9007199254740991'}::int8 as n, 'hello' as t`.execute(database.db);
    expect(rows).toEqual([{ n: 9007199254740991, t: 'hello' }]);

    await database.close();
    expect(isAlive(child)).toBe(false);
    expect(existsSync(socketDir as string)).toBe(false);
  });

  it('rolls a failed transaction back and keeps a committed one', async () => {
    const { db } = await open();
    await db.schema.createTable('items').addColumn('name', 'text', (c) => c.primaryKey()).execute();
    await db.transaction().execute((trx) => trx.insertInto('items').values({ name: 'kept' }).execute());
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'lost' }).execute();
        await trx.insertInto('items').values({ name: 'kept' }).execute(); // unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.selectFrom('items').select('name').execute()).toEqual([{ name: 'kept' }]);
  });

  it('serialises many concurrent callers on its one connection: no lost updates, no crossed answers', async () => {
    const { db } = await open();
    await db.schema.createTable('counter').addColumn('n', 'integer', (c) => c.notNull()).execute();
    await db.insertInto('counter').values({ n: 0 }).execute();

    const callers = 40;
    const increments = Array.from({ length: callers }, () =>
      db.transaction().execute(async (trx) => {
        const { n } = await trx.selectFrom('counter').select('n').executeTakeFirstOrThrow();
        // Another caller running now would read the same n and one increment would be lost.
        await new Promise((resolve) => setTimeout(resolve, 2));
        await trx.updateTable('counter').set({ n: n + 1 }).execute();
      }),
    );
    const echoes = Array.from({ length: callers }, (_, i) => sql<{ v: number }>`select ${i}::int as v`.execute(db).then((r) => r.rows[0]?.v));
    const [, answers] = await Promise.all([Promise.all(increments), Promise.all(echoes)]);

    expect(answers).toEqual(Array.from({ length: callers }, (_, i) => i));
    expect(await db.selectFrom('counter').select('n').executeTakeFirstOrThrow()).toEqual({ n: callers });
  });

  it('keeps a file database across close and reopen', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'pglite');
    const first = await openDatabase({ dataDir, relaxedDurability: true });
    await first.db.schema.createTable('notes').addColumn('body', 'text').execute();
    await first.db.insertInto('notes').values({ body: 'persisted' }).execute();
    await first.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    const second = await open({ dataDir });
    expect(await second.db.selectFrom('notes').select('body').execute()).toEqual([{ body: 'persisted' }]);
  });

  it('refuses a data directory another process has open, with the reason', async () => {
    const dataDir = path.join(tempDir(), 'pglite');
    await open({ dataDir });
    await expect(openDatabase({ dataDir })).rejects.toThrow(/embedded database failed to start .*in use by process \d+/);
  });

  it('rejects a data directory that cannot be one, with the child process message', async () => {
    const dir = tempDir();
    const notADirectory = path.join(dir, 'file');
    writeFileSync(notADirectory, 'not a database');
    await expect(openDatabase({ dataDir: notADirectory })).rejects.toThrow(/^embedded database failed to start \(.*\/file\): PGlite stopped with exit status 1 while opening the data directory/);
    await expect(openDatabase({ dataDir: path.join(notADirectory, 'pglite') })).rejects.toThrow(/^embedded database failed to start \(.*\/file\/pglite\): EEXIST/);
    expect(childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pglite-server'))).toEqual([]);
  });

  it('fits the socket path into sun_path when TMPDIR is long', async () => {
    const long = path.join(tempDir(), 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(long, { recursive: true });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = long;
    try {
      const { db } = await open();
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    const [socketDir] = socketDirsOf(databaseChildOf(process.pid));
    expect((socketDir as string).startsWith(long)).toBe(false);
  });

  it('removes socket directories left by an owner killed together with its database process, and no others', async () => {
    const deadPid = await new Promise<number>((resolve) => {
      const gone = spawn(process.execPath, ['-e', '0']);
      gone.once('exit', () => resolve(gone.pid as number));
    });
    const leftover = (owner: number) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dspg-'));
      writeFileSync(path.join(dir, 'owner.pid'), String(owner));
      writeFileSync(path.join(dir, '.s.PGSQL.5432'), '');
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    };
    const stale = leftover(deadPid);
    const live = leftover(process.pid);

    await open();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('keeps serving through SIGINT and SIGTERM sent to its process group while the parent shuts down', async () => {
    const { db } = await open();
    const child = databaseChildOf(process.pid);
    process.kill(child, 'SIGINT');
    process.kill(child, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(child)).toBe(true);
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it('fails queries with a clear error when the database process dies, and logs it', async () => {
    const logged: string[] = [];
    const logger: DatabaseLogger = { error: (_details, message) => logged.push(message) };
    const database = await open({ dataDir: 'memory://', logger });
    await sql`select 1`.execute(database.db);
    const child = databaseChildOf(process.pid);

    process.kill(child, 'SIGKILL');
    await expect(sql`select pg_sleep(0)`.execute(database.db)).rejects.toThrow(/embedded database process \d+ exited unexpectedly \(signal SIGKILL\)/);
    await expect(database.db.selectFrom('pg_class').select('relname').execute()).rejects.toThrow(/exited unexpectedly/);
    expect(logged).toEqual(['embedded database process died']);
    await database.close(); // still settles
  });

  it('does not outlive a parent that is killed, and leaves the data directory closed and reusable', async () => {
    const dataDir = path.join(tempDir(), 'pglite');
    const script = path.join(tempDir(), 'parent.mts');
    writeFileSync(
      script,
      `import { openDatabase } from ${JSON.stringify(pathToFileURL(path.join(here, '../src/index.ts')).href)};
const { db } = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
await db.schema.createTable('marks').addColumn('v', 'text').execute();
await db.insertInto('marks').values({ v: 'before the kill' }).execute();
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.join(here, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void parent.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      parent.once('exit', (code) => reject(new Error(`parent script exited early (${code})`)));
    });
    const child = databaseChildOf(parent.pid as number);
    const [socketDir] = socketDirsOf(child);

    process.kill(parent.pid as number, 'SIGKILL');
    expect(await waitFor(() => !isAlive(child), 30_000)).toBe(true);
    expect(existsSync(socketDir as string)).toBe(false);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    const reopened = await open({ dataDir });
    expect(await reopened.db.selectFrom('marks').select('v').execute()).toEqual([{ v: 'before the kill' }]);
  });
});
