// Starts a throwaway PostgreSQL cluster on a free loopback port (initdb + pg_ctl, as the postgres
// user when running as root, since initdb refuses root) and hands out fresh databases in it.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { makeTempDir } from './server-process.ts';

export interface RunningPostgres {
  port: number;
  /** The postmaster's pid (pg_ctl daemonizes it): the root of the cluster's processes, e.g. for /proc readings. */
  pid: number;
  /** postgres://postgres@127.0.0.1:PORT/<db>: a database created fresh for this call. */
  url: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory, or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function asPostgresUser(bin: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
}

function run(argv: string[], what: string): void {
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe', timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${what} failed: ${e.stderr?.toString() || e.stdout?.toString() || e.message}`);
  }
}

export async function startPostgres(opts: { database?: string } = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)');
  const temp = makeTempDir('pg');
  const dataDir = path.join(temp.dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(temp.dir, uid, gid);
  }
  const port = await freePort();
  // fsync off and no-sync: a test cluster is disposable, and the disk is shared with everyone.
  run(asPostgresUser(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']), 'initdb');
  const serverOptions = `-p ${port} -k ${temp.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  run(
    asPostgresUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', path.join(temp.dir, 'postgres.log'), '-o', serverOptions, '-w', '-t', '60', 'start']),
    'pg_ctl start',
  );

  const createDatabase = (name: string): string => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
    run([path.join(bin, 'psql'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`], 'CREATE DATABASE');
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };

  // The first line of postmaster.pid is the postmaster's pid; pg_ctl -w returned once it was written.
  const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    run(asPostgresUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']), 'pg_ctl stop');
    temp.remove();
    throw new Error(`cannot read the postmaster's pid from ${dataDir}/postmaster.pid`);
  }

  let stopped = false;
  return {
    port,
    pid,
    url: createDatabase(opts.database ?? 'docksphere'),
    createDatabase,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(asPostgresUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']), 'pg_ctl stop');
      } finally {
        temp.remove();
      }
    },
  };
}
