// Named contexts: one per server the user logged in to (server URL, user name), and which is
// current. Kept in $DOCKSPHERE_CONFIG_DIR/contexts.json (default ~/.config/docksphere); the token
// itself is never here, it is in Docker's credentials (credentials.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from './exit-codes.ts';

export interface Context {
  name: string;
  /** e.g. "https://registry.example.com" or "http://127.0.0.1:5000" */
  server: string;
  username: string;
  /** The id of the personal access token the CLI created at login (revoked by logout). */
  tokenId?: string;
}

interface ContextsFile {
  current?: string;
  contexts: Context[];
}

export function configDir(): string {
  return process.env.DOCKSPHERE_CONFIG_DIR || path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'docksphere');
}

const file = () => path.join(configDir(), 'contexts.json');
const MAX_FILE = 1024 * 1024;

export function loadContexts(): ContextsFile {
  let text: string;
  try {
    text = readFileSync(file(), 'utf8');
  } catch {
    return { contexts: [] };
  }
  if (text.length > MAX_FILE) throw new CliError(`${file()} is larger than 1 MiB`);
  try {
    const parsed = JSON.parse(text) as ContextsFile;
    return { current: parsed.current, contexts: Array.isArray(parsed.contexts) ? parsed.contexts : [] };
  } catch {
    throw new CliError(`${file()} is not valid JSON: fix or remove it`);
  }
}

export function saveContexts(data: ContextsFile): void {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file()}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file());
}

/** "https://host:port" without path or trailing slash; a bare host gets https (http for loopback). */
export function normalizeServer(input: string): string {
  let text = input.trim();
  if (!/^[a-z]+:\/\//i.test(text)) {
    const host = text.split('/')[0] ?? '';
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
    text = `${loopback ? 'http' : 'https'}://${text}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`not a server address: ${input}`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`not an http(s) server: ${input}`, EXIT.usage);
  return `${url.protocol}//${url.host}`;
}

/** The key Docker uses for the server's credentials: host[:port]. */
export function registryHost(server: string): string {
  return new URL(server).host;
}

/** A context name for a server: its host. */
export function contextName(server: string): string {
  return registryHost(server);
}

export function upsertContext(ctx: Context, makeCurrent: boolean): void {
  const data = loadContexts();
  data.contexts = [...data.contexts.filter((c) => c.name !== ctx.name), ctx];
  if (makeCurrent || !data.current) data.current = ctx.name;
  saveContexts(data);
}

export function removeContext(name: string): Context {
  const data = loadContexts();
  const found = data.contexts.find((c) => c.name === name);
  if (!found) throw new CliError(`no context named ${name} (see: docksphere context ls)`, EXIT.notFound);
  data.contexts = data.contexts.filter((c) => c.name !== name);
  if (data.current === name) data.current = data.contexts[0]?.name;
  saveContexts(data);
  return found;
}
