// A minimal /v2 HTTP client for assertions beside the real clients: follows the Docker token
// challenge (401 -> realm with Basic creds -> Bearer) exactly as docker and skopeo do.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RegistryUnderTest } from './registry-under-test.ts';

/** Parses `Bearer realm="…",service="…",scope="…"` into its parameters. */
export function parseChallenge(header: string): Record<string, string> | undefined {
  const m = /^Bearer\s+(.*)$/i.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[1]!.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return params;
}

export interface Credentials {
  username: string;
  password: string;
}

/** GET/HEAD/DELETE… a /v2 path, answering a token challenge with `creds` (or anonymously). */
export async function registryFetch(target: RegistryUnderTest, pathname: string, init: RequestInit = {}, creds?: Credentials): Promise<Response> {
  const url = `${target.url}${pathname}`;
  const first = await fetch(url, init);
  const challenge = first.status === 401 ? parseChallenge(first.headers.get('www-authenticate') ?? '') : undefined;
  if (!challenge?.realm) return first;
  await first.body?.cancel();
  const tokenUrl = new URL(challenge.realm);
  if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
  if (challenge.scope) for (const s of challenge.scope.split(' ')) tokenUrl.searchParams.append('scope', s);
  const headers: Record<string, string> = creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {};
  const tokenRes = await fetch(tokenUrl, { headers });
  if (tokenRes.status !== 200) throw new Error(`token endpoint ${tokenUrl.pathname} answered ${tokenRes.status}: ${await tokenRes.text()}`);
  const body = (await tokenRes.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
}

/** The first fixture user (allowed to push, pull and delete), if the target has auth. */
export function pushUser(target: RegistryUnderTest): Credentials | undefined {
  return target.auth?.users[0];
}

/** Writes a containers-auth.json (skopeo/podman --authfile) holding `creds` for the target. */
export function writeAuthFile(dir: string, target: RegistryUnderTest, creds: Credentials | undefined): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'auth.json');
  const auths = creds ? { [target.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } : {};
  writeFileSync(file, JSON.stringify({ auths }), { mode: 0o600 });
  return file;
}
