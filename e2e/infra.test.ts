// The @docksphere/infra helpers start real servers that answer, each on its own port and data
// dir, and leave nothing behind after stop().
import { existsSync } from 'node:fs';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, postgresBinDir, requireServer, startNats, startPostgres, startRedis } from '@docksphere/infra';

function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString());
    });
    socket.once('error', reject);
  });
}

describe('requireServer', () => {
  it('throws under CI=true and answers false otherwise when a server is missing', () => {
    const saved = process.env.CI;
    try {
      process.env.CI = 'true';
      expect(() => requireServer('imaginary-server', false)).toThrow(/imaginary-server is not available.*CI=true requires it/);
      process.env.CI = '';
      expect(requireServer('imaginary-server', false)).toBe(false);
      expect(requireServer('present-server', true)).toBe(true);
    } finally {
      process.env.CI = saved;
    }
  });

  it('finds commands on PATH', () => {
    expect(hasCommand('sh')).toBe(true);
    expect(hasCommand('no-such-command-docksphere')).toBe(false);
  });
});

describe.skipIf(!requireServer('PostgreSQL', postgresBinDir() !== undefined))('startPostgres', () => {
  it('gives a fresh database that accepts SQL, and a second one on demand', async () => {
    const pg = await startPostgres();
    try {
      const psql = (url: string, sql: string) => execFileSync(path.join(postgresBinDir()!, 'psql'), [url, '-tAc', sql]).toString().trim();
      expect(pg.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/docksphere$/);
      psql(pg.url, 'CREATE TABLE t (n int); INSERT INTO t VALUES (41), (1)');
      expect(psql(pg.url, 'SELECT sum(n) FROM t')).toBe('42');
      const other = pg.createDatabase('second_db');
      expect(psql(other, "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'")).toBe('0');
    } finally {
      await pg.stop();
    }
    expect(() => execFileSync(path.join(postgresBinDir()!, 'psql'), [pg.url, '-c', 'SELECT 1'], { stdio: 'pipe' })).toThrow();
  });
});

describe.skipIf(!requireServer('redis-server', hasCommand('redis-server')))('startRedis', () => {
  it('answers commands until stopped', async () => {
    const redis = await startRedis();
    expect(await redisCommand(redis.port, 'SET k v')).toBe('+OK\r\n');
    expect(await redisCommand(redis.port, 'GET k')).toBe('$1\r\nv\r\n');
    await redis.stop();
    await expect(redisCommand(redis.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe.skipIf(!requireServer('nats-server', hasCommand('nats-server')))('startNats', () => {
  it('runs JetStream with its store in a temp dir, removed on stop', async () => {
    const nats = await startNats();
    const jsz = (await (await fetch(`${nats.monitorUrl}/jsz`)).json()) as { config?: { store_dir?: string } };
    const storeDir = jsz.config?.store_dir;
    expect(storeDir).toMatch(/docksphere-nats-/);
    expect(existsSync(storeDir!)).toBe(true);
    await nats.stop();
    expect(existsSync(storeDir!)).toBe(false);
  });
});
