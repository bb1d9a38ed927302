// Opens the one SQL database: a real Postgres when a URL is given, embedded PGlite otherwise. Both
// go through the same driver (`pg` + Kysely's PostgresDialect): the embedded PGlite runs in a
// child process of its own that speaks the Postgres wire protocol on a private Unix socket.
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { SOCKET_PORT, startPGliteProcess, type PGliteProcess } from './pglite-process.ts';

// int8 (counts, sizes) as JS numbers: every size DockSphere stores is far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface Database {
  db: Kysely<any>;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** Where the embedded database reports that its process died (a pino logger fits). */
export interface DatabaseLogger {
  error(details: object, message: string): void;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** Data directory for PGlite; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  maxConnections?: number;
  /**
   * PGlite only: answer a query without waiting for its flush to disk (the flush still runs).
   * Much faster; a crash can lose the last moments of writes. Real Postgres is for durability.
   */
  relaxedDurability?: boolean;
  /** PGlite only: told when the database process dies unexpectedly (default: stderr). */
  logger?: DatabaseLogger;
}

const stderrLogger: DatabaseLogger = {
  error(details, message) {
    process.stderr.write(`[docksphere/db] ${message} ${JSON.stringify(details)}\n`);
  },
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 20 });
    // An idle client whose server went away (restart, shutdown) must not crash the process: the
    // pool drops it and the next query opens a new connection.
    pool.on('error', () => {});
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  const logger = options.logger ?? stderrLogger;
  const child = await startPGliteProcess({
    dataDir: options.dataDir ?? 'memory://',
    relaxedDurability: options.relaxedDurability ?? false,
    onUnexpectedExit: (err) => logger.error({ err: { message: err.message } }, 'embedded database process died'),
  });
  // PGlite is one backend: a pool of one connection hands it to one holder at a time, so a
  // transaction never interleaves with another caller's queries and the rest wait their turn.
  const pool = new pg.Pool({ host: child.socketDir, port: SOCKET_PORT, user: 'postgres', database: 'template1', max: 1, idleTimeoutMillis: 0, allowExitOnIdle: true });
  pool.on('error', () => {});
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: failClearly(pool, child) }) });
  return {
    db,
    kind: 'pglite',
    async close() {
      await db.destroy();
      await child.stop();
    },
  };
}

const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOENT', 'EPIPE']);

/** A driver error from the connection itself (the socket, not the SQL): worth checking on the process. */
function isConnectionError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return typeof message === 'string' && /connection terminated|not queryable|connection error/i.test(message);
}

/**
 * Once the database process has died, queries fail with that (not "connection terminated" or
 * ENOENT on the socket), and a connection broken mid-query leaves the pool instead of being reused.
 */
function failClearly(pool: pg.Pool, child: PGliteProcess): PostgresPool {
  const explain = async (err: unknown): Promise<unknown> => {
    if (!child.failure && isConnectionError(err)) {
      // The broken socket is usually noticed a moment before the exit itself.
      await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    if (!child.failure) return err;
    return new Error(child.failure.message, { cause: err });
  };
  return {
    async connect(): Promise<PostgresPoolClient> {
      if (child.failure) throw new Error(child.failure.message);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw await explain(err);
      }
      let broken: Error | undefined;
      // A checked-out client with no query running reports a dropped socket as an 'error' event;
      // unheard, that would crash the process. Heard, it retires the client on release.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      const query = async (sql: string, parameters: readonly unknown[]) => {
        try {
          return await client.query(sql, parameters as unknown[]);
        } catch (err) {
          if (isConnectionError(err)) broken = err as Error;
          throw await explain(err);
        }
      };
      const release = () => {
        client.off('error', onError);
        client.release(broken);
      };
      return { query, release } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
