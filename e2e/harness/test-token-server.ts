// TEST-ONLY Docker token service (the Docker token spec's GET /token): Basic credentials from a
// fixed user table become a short-lived ES256 JWT whose `access` claim grants what the user may do
// of the requested scopes. Stands in for services/auth in e2e until that service exists.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { parseScopes, intersectActions, type AccessEntry } from '@docksphere/access';
import { freePort } from '@docksphere/infra';
import type { RegistryAuthFixture } from './auth-fixture.ts';

export interface TestUser {
  username: string;
  password: string;
  /** Actions granted on every repository ("*" = all). */
  repositoryActions: string[];
  /** May list the catalog (registry:catalog:*). */
  catalog: boolean;
}

/** The fixed users e2e tests log in as. */
export const TEST_USERS: readonly TestUser[] = [
  { username: 'alice', password: 'alice-e2e-password', repositoryActions: ['pull', 'push', 'delete'], catalog: true },
  { username: 'bob', password: 'bob-e2e-password', repositoryActions: ['pull'], catalog: false },
];

export interface TestTokenServerOptions {
  /** Must equal the registry's AUTH_ISSUER. */
  issuer?: string;
  /** Must equal the registry's AUTH_SERVICE (the token's `aud`). */
  service?: string;
  /** Directory where the public key file is written. */
  keyDir: string;
  tokenTtlSeconds?: number;
}

export interface TokenRequestRecord {
  path: string;
  account: string | undefined;
  scopes: string[];
  status: number;
}

export interface TestTokenServer extends RegistryAuthFixture {
  url: string;
  /** Every token request seen, for tests that assert on what a client asked for. */
  requests: TokenRequestRecord[];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function basicCredentials(req: IncomingMessage): { username: string; password: string } | 'malformed' | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!m) return 'malformed';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function grantsFor(user: TestUser | undefined, requested: AccessEntry[]): AccessEntry[] {
  if (!user) return [];
  const out: AccessEntry[] = [];
  for (const scope of requested) {
    const permitted = scope.type === 'repository' ? user.repositoryActions : scope.type === 'registry' && scope.name === 'catalog' && user.catalog ? ['*'] : [];
    const actions = intersectActions(scope.actions, permitted);
    if (actions.length > 0) out.push({ type: scope.type, name: scope.name, actions });
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export async function startTestTokenServer(opts: TestTokenServerOptions): Promise<TestTokenServer> {
  const issuer = opts.issuer ?? 'docksphere-e2e-issuer';
  const service = opts.service ?? 'docksphere-e2e';
  const ttl = opts.tokenTtlSeconds ?? 300;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const publicKeyFile = path.join(opts.keyDir, 'token-public-key.pem');
  writeFileSync(publicKeyFile, await exportSPKI(publicKey));
  const requests: TokenRequestRecord[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return sendJson(res, 200, { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] });
    }
    // /auth/token is the path behind NGINX (realm <public url>/auth/token); /token directly.
    if (url.pathname !== '/token' && url.pathname !== '/auth/token') return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'only GET /token is implemented by the test token server' }, { allow: 'GET' });

    const scopes = url.searchParams.getAll('scope');
    const record: TokenRequestRecord = { path: url.pathname, account: url.searchParams.get('account') ?? undefined, scopes, status: 0 };
    requests.push(record);
    const reply = (status: number, body: unknown) => {
      record.status = status;
      sendJson(res, status, body, status === 401 ? { 'www-authenticate': 'Basic realm="docksphere-e2e"' } : {});
    };

    if (url.searchParams.get('service') !== service) return reply(400, { errors: [{ code: 'DENIED', message: `unknown service "${url.searchParams.get('service')}"` }] });
    const requested = parseScopes(scopes);
    if (!requested) return reply(400, { errors: [{ code: 'DENIED', message: 'malformed scope' }] });

    const creds = basicCredentials(req);
    if (creds === 'malformed') return reply(400, { errors: [{ code: 'DENIED', message: 'malformed Authorization header' }] });
    let user: TestUser | undefined;
    if (creds) {
      user = TEST_USERS.find((u) => u.username === creds.username);
      if (!user || !sameSecret(user.password, creds.password)) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    }

    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access: grantsFor(user, requested) })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(user?.username ?? '')
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
    reply(200, { token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendJson(res, 500, { error: String(err) }));
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    issuer,
    service,
    publicKeyFile,
    jwksUrl: `${url}/.well-known/jwks.json`,
    upstream: `127.0.0.1:${port}`,
    realmFor: (publicUrl) => (publicUrl ? `${publicUrl}/auth/token` : `${url}/token`),
    users: TEST_USERS.map((u) => ({ username: u.username, password: u.password })),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
