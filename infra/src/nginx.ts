// Renders the ${DS_*} placeholders of nginx/nginx.conf and starts a throwaway NGINX with a config
// (checked with `nginx -t` first) on a free loopback port, pid file and logs in a temp prefix.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitReady, makeTempDir, ServerProcess } from './server-process.ts';
import { waitForPort } from './wait.ts';

const PLACEHOLDER = /\$\{(DS_[A-Z0-9_]+)\}/g;

/** The repository's nginx/nginx.conf template. */
export function readNginxTemplate(): string {
  return readFileSync(fileURLToPath(new URL('../../nginx/nginx.conf', import.meta.url)), 'utf8');
}

/** The ${DS_*} names a template uses. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/** Fills every ${DS_*} placeholder; a placeholder without a value, or a value for none, is an error. */
export function renderNginxTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = templatePlaceholders(template);
  const missing = used.filter((name) => values[name] === undefined);
  const unknown = Object.keys(values).filter((name) => !used.includes(name));
  if (missing.length > 0) throw new Error(`nginx template: no value for ${missing.join(', ')}`);
  if (unknown.length > 0) throw new Error(`nginx template: no placeholder named ${unknown.join(', ')}`);
  for (const [name, value] of Object.entries(values)) {
    // A value is one token of nginx syntax: no way to end the directive or open a block.
    if (/[;{}\s]/.test(value) || value === '') throw new Error(`nginx template: ${name} has an unsafe value "${value}"`);
  }
  return template.replace(PLACEHOLDER, (_, name: string) => values[name]!);
}

export interface RunningNginx {
  port: number;
  /** The master process's pid (the workers are its children). */
  pid: number;
  url: string;
  /** The prefix directory: nginx.conf, logs/error.log, logs/access.log (when the config puts it there), temp/. */
  prefix: string;
  errorLog(): string;
  logs(): string;
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  /** The port the config listens on (on 127.0.0.1). */
  port: number;
}

/**
 * Starts NGINX with `config` (text, or a function of the prefix directory for configs that put
 * files there). Throws with `nginx -t`'s output when the config is invalid.
 */
export async function startNginx(config: string | ((prefix: string) => string), opts: StartNginxOptions): Promise<RunningNginx> {
  const temp = makeTempDir('nginx');
  const prefix = temp.dir;
  mkdirSync(path.join(prefix, 'logs'));
  mkdirSync(path.join(prefix, 'temp'));
  const confFile = path.join(prefix, 'nginx.conf');
  const errorLogFile = path.join(prefix, 'logs', 'error.log');
  writeFileSync(confFile, typeof config === 'string' ? config : config(prefix));
  const base = ['-c', confFile, '-p', `${prefix}/`, '-e', errorLogFile];
  const global = `daemon off; pid ${path.join(prefix, 'nginx.pid')};`;
  try {
    execFileSync('nginx', [...base, '-g', global, '-t'], { stdio: 'pipe', timeout: 30_000 });
  } catch (err) {
    temp.remove();
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`nginx -t rejected the config: ${e.stderr?.toString() ?? e.message}`);
  }
  const server = new ServerProcess('nginx', 'nginx', [...base, '-g', global], { cwd: prefix });
  const errorLog = () => {
    try {
      return readFileSync(errorLogFile, 'utf8');
    } catch {
      return '';
    }
  };
  await awaitReady(server, () => waitForPort(opts.port, { abort: () => (server.exitedReason() ? `${server.exitedReason()}\n${errorLog()}` : undefined) }), temp.remove);
  return {
    port: opts.port,
    pid: server.child.pid!,
    url: `http://127.0.0.1:${opts.port}`,
    prefix,
    errorLog,
    logs: () => server.logs(),
    async stop() {
      // SIGQUIT is NGINX's graceful shutdown; stop() follows with SIGTERM/SIGKILL if needed.
      server.child.kill('SIGQUIT');
      await server.stop(5_000);
      temp.remove();
    },
  };
}
