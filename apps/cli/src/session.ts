// Which server a command talks to and as whom: --server (a URL or a context name), else
// DOCKSPHERE_SERVER, else the current context; the token from DOCKSPHERE_TOKEN, else Docker's
// credentials for that host. Also the registry (/v2) calls some commands need, through the
// server's token service with the same credentials docker uses.
import { confirm } from '@inquirer/prompts';
import { createPlatformClient, type PlatformClient } from '@docksphere/client';
import { loadContexts, normalizeServer, registryHost, type Context } from './contexts.ts';
import { loadCredentials } from './credentials.ts';
import { CliError, EXIT, exitCodeOfStatus } from './exit-codes.ts';

export interface GlobalOptions {
  server?: string;
  json?: boolean;
  jq?: string;
  yes?: boolean;
}

export interface Target {
  server: string;
  context?: Context;
}

export function resolveTarget(opts: GlobalOptions): Target {
  const data = loadContexts();
  const chosen = opts.server ?? process.env.DOCKSPHERE_SERVER;
  if (chosen) {
    const named = data.contexts.find((c) => c.name === chosen);
    if (named) return { server: named.server, context: named };
    const server = normalizeServer(chosen);
    return { server, context: data.contexts.find((c) => c.server === server) };
  }
  const current = data.contexts.find((c) => c.name === data.current);
  if (!current) throw new CliError('no server: run docksphere login SERVER, or pass --server / set DOCKSPHERE_SERVER', EXIT.usage);
  return { server: current.server, context: current };
}

export interface Session extends Target {
  client: PlatformClient;
  username: string | undefined;
  token: string | undefined;
}

/** A client for the target server with the user's token (anonymous when there is none and required is false). */
export function openSession(opts: GlobalOptions, required = true): Session {
  const target = resolveTarget(opts);
  const envToken = process.env.DOCKSPHERE_TOKEN;
  const stored = envToken ? undefined : loadCredentials(registryHost(target.server));
  const token = envToken || stored?.secret;
  if (!token && required) throw new CliError(`not logged in to ${target.server}: run docksphere login ${target.server}`, EXIT.denied);
  const client = createPlatformClient({ baseUrl: target.server, auth: token ? { token } : undefined });
  return { ...target, client, token, username: stored?.username ?? target.context?.username };
}

const MAX_REGISTRY_JSON = 4 * 1024 * 1024;

/** A registry token for `scope` from the server's token service (Basic with the stored token). */
async function registryToken(session: Session, scope: string): Promise<string | undefined> {
  const probe = await fetch(`${session.server}/v2/`);
  const challenge = probe.headers.get('www-authenticate') ?? '';
  if (probe.ok || !/^bearer/i.test(challenge)) return undefined;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) throw new CliError('the registry did not name its token service', EXIT.error);
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', scope);
  const headers: Record<string, string> = {};
  if (session.token) headers.authorization = `Basic ${Buffer.from(`${session.username ?? 'token'}:${session.token}`).toString('base64')}`;
  const reply = await fetch(url, { headers });
  if (!reply.ok) throw new CliError(`the token service refused ${scope}: HTTP ${reply.status}`, exitCodeOfStatus(reply.status));
  const body = (await reply.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/** A /v2 request with a token for `scope`; errors become CliErrors with the registry's message. */
export async function registryFetch(session: Session, scope: string, pathname: string, init: RequestInit = {}): Promise<Response> {
  const token = await registryToken(session, scope);
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const reply = await fetch(`${session.server}${pathname}`, { ...init, headers });
  if (!reply.ok) {
    let message = `HTTP ${reply.status}`;
    try {
      const body = (await reply.json()) as { errors?: { code?: string; message?: string }[] };
      const first = body.errors?.[0];
      if (first) message = `${first.message ?? ''} [${first.code ?? reply.status}]`;
    } catch {
      // not JSON
    }
    throw new CliError(message, exitCodeOfStatus(reply.status));
  }
  return reply;
}

export async function registryJson<T>(reply: Response): Promise<T> {
  const text = await reply.text();
  if (text.length > MAX_REGISTRY_JSON) throw new CliError('the registry answered more than 4 MiB of JSON');
  return JSON.parse(text) as T;
}

/**
 * Asks before a destructive action: --yes skips the question; on a terminal the user answers;
 * off a terminal without --yes the command refuses (exit 2) and changes nothing.
 */
export async function confirmDestructive(opts: GlobalOptions, question: string): Promise<void> {
  if (opts.yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) throw new CliError(`${question}: refusing without --yes when not on a terminal`, EXIT.usage);
  const answer = await confirm({ message: question, default: false }, { output: process.stderr });
  if (!answer) throw new CliError('cancelled', EXIT.error);
}
