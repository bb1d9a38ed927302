// A small registry HTTP client for the conformance suite: exact control over every request
// header (Content-Length, Content-Range), no automatic redirects, and the Docker/OCI token
// challenge (401 + WWW-Authenticate: Bearer ...) answered transparently, with tokens cached per scope.
import http from 'node:http';
import https from 'node:https';

/** Largest response body the client reads into memory; conformance content is small. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface RegistryClientOptions {
  /** Root URL of the registry, e.g. http://127.0.0.1:5000 (no trailing /v2). */
  url: string;
  username?: string;
  password?: string;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with optional query (`/v2/...`), or an absolute URL such as a Location header value. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Send Authorization only from a 401 challenge, never pre-emptively (default false). */
  noAuth?: boolean;
}

export interface RegistryResponse {
  status: number;
  /** Lower-cased header names; repeated headers joined with ", " as Node does. */
  headers: Record<string, string>;
  body: Buffer;
  /** The absolute URL that was requested (after resolving path against the root). */
  url: string;
  /** The connection closed before the announced body arrived (a server framing bug, reported not thrown). */
  incomplete: boolean;
  header(name: string): string | undefined;
  text(): string;
  json<T = unknown>(): T;
}

/** One parsed auth challenge from a WWW-Authenticate header. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses `Bearer realm="https://x/token",service="reg",scope="repository:a/b:pull,push"`.
 * Values may be quoted (with backslash escapes) and may contain commas, so this is a small
 * tokenizer rather than a split on ",".
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  while (i < n) {
    skipSpace();
    while (i < n && header[i] === ',') {
      i++;
      skipSpace();
    }
    const schemeStart = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    if (i === schemeStart) break;
    const challenge: AuthChallenge = { scheme: header.slice(schemeStart, i).toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skipSpace();
      const save = i;
      const keyStart = i;
      while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
      const key = header.slice(keyStart, i).toLowerCase();
      skipSpace();
      if (!key || header[i] !== '=') {
        // Not a parameter: the start of the next challenge (or token68, which we ignore).
        i = save;
        break;
      }
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const valueStart = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(valueStart, i).trim();
      }
      challenge.params[key] = value;
      skipSpace();
      if (header[i] === ',') {
        i++;
        continue;
      }
      break;
    }
  }
  return challenges;
}

/** Repository name of a /v2/<name>/(blobs|manifests|tags|referrers)/... path, if any. */
function repositoryOf(pathname: string): string | undefined {
  const m = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(pathname);
  return m?.[1];
}

export class RegistryClient {
  readonly root: URL;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  /** Token per challenge (realm + service + scope). */
  private readonly tokens = new Map<string, string>();
  /** Last challenge key seen per repository and method, to send the right token up front. */
  private readonly challengeKeyFor = new Map<string, string>();
  private basicAuthorization: string | undefined;

  constructor(options: RegistryClientOptions) {
    this.root = new URL(options.url.replace(/\/+$/, '') + '/');
    this.username = options.username;
    this.password = options.password;
  }

  async request(req: RegistryRequest): Promise<RegistryResponse> {
    const url = new URL(req.path, this.root);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const slot = `${repositoryOf(url.pathname) ?? '/'} ${req.method}`;

    const known = req.noAuth ? undefined : this.authorizationFor(slot);
    let res = await send(req.method, url, req.headers ?? {}, body, known);
    if (res.status !== 401 || req.noAuth) return res;

    const authorization = await this.answerChallenge(res, slot);
    if (authorization === undefined || authorization === known) return res;
    res = await send(req.method, url, req.headers ?? {}, body, authorization);
    return res;
  }

  private authorizationFor(slot: string): string | undefined {
    const key = this.challengeKeyFor.get(slot);
    if (key === 'basic') return this.basicAuthorization;
    if (key === undefined) return undefined;
    const token = this.tokens.get(key);
    return token === undefined ? undefined : `Bearer ${token}`;
  }

  /** Returns the Authorization value that answers a 401's challenge, or undefined if none can. */
  private async answerChallenge(res: RegistryResponse, slot: string): Promise<string | undefined> {
    const header = res.header('www-authenticate');
    if (!header) return undefined;
    const challenges = parseAuthChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realm = bearer.params['realm'];
      if (!realm) throw new Error(`Bearer challenge without a realm: ${header}`);
      const service = bearer.params['service'];
      const scope = bearer.params['scope'];
      const key = JSON.stringify([realm, service ?? '', scope ?? '']);
      let token = this.tokens.get(key);
      if (token === undefined) {
        token = await this.fetchToken(realm, service, scope);
        this.tokens.set(key, token);
      }
      this.challengeKeyFor.set(slot, key);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.username !== undefined) {
      this.basicAuthorization = basic(this.username, this.password ?? '');
      this.challengeKeyFor.set(slot, 'basic');
      return this.basicAuthorization;
    }
    return undefined;
  }

  /** GET <realm>?service=..&scope=.. (one scope parameter per space-separated scope), Basic auth if credentials are set. */
  private async fetchToken(realm: string, service: string | undefined, scope: string | undefined): Promise<string> {
    const url = new URL(realm, this.root);
    if (service) url.searchParams.set('service', service);
    for (const s of (scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const authorization = this.username !== undefined ? basic(this.username, this.password ?? '') : undefined;
    const res = await send('GET', url, { accept: 'application/json' }, undefined, authorization);
    if (res.status !== 200) {
      throw new Error(`token endpoint ${url.origin}${url.pathname} answered ${res.status}: ${res.text().slice(0, 300)}`);
    }
    const json = res.json<{ token?: unknown; access_token?: unknown }>();
    const token = typeof json.token === 'string' ? json.token : typeof json.access_token === 'string' ? json.access_token : undefined;
    if (!token) throw new Error('token endpoint answered 200 without a token or access_token field');
    return token;
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** One HTTP exchange with exactly the given headers (Content-Length added only when a body is sent and not already set). */
function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  authorization: string | undefined,
): Promise<RegistryResponse> {
  const outgoing: Record<string, string> = { 'user-agent': 'docksphere-conformance', ...lowerKeys(headers) };
  if (authorization !== undefined) outgoing['authorization'] = authorization;
  if (body !== undefined && outgoing['content-length'] === undefined) outgoing['content-length'] = String(body.byteLength);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers: outgoing, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          settled = true;
          reject(new Error(`response body from ${method} ${url.pathname} exceeds ${MAX_RESPONSE_BYTES} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      const finish = (incomplete: boolean) => {
        if (settled) return;
        settled = true;
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          body: bytes,
          url: url.toString(),
          incomplete,
          header: (name) => flat[name.toLowerCase()],
          text: () => bytes.toString('utf8'),
          json: <T>() => JSON.parse(bytes.toString('utf8')) as T,
        });
      };
      // Headers arrived, so the status is known: a body cut short is reported, not turned into a thrown error.
      res.on('error', () => finish(true));
      res.on('aborted', () => finish(true));
      res.on('end', () => finish(!res.complete));
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url.toString()} timed out`)));
    if (body !== undefined) req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    else req.end();
  });
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
