// The conformance client's auth handling against a small in-process registry that demands Docker
// tokens: challenge parsing, token fetch with Basic credentials, per-scope caching, body re-sent on retry.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, parseAuthChallenges } from './client.ts';

describe('parseAuthChallenges', () => {
  it('reads quoted parameters whose values contain commas and spaces', () => {
    const [c] = parseAuthChallenges('Bearer realm="http://a/token",service="reg",scope="repository:x/y:pull,push repository:z:pull"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'http://a/token', service: 'reg', scope: 'repository:x/y:pull,push repository:z:pull' } });
  });
  it('separates several challenges and keeps unquoted values and escapes', () => {
    const cs = parseAuthChallenges('Basic realm="r\\"1", Bearer realm=http://t/token, error="insufficient_scope"');
    expect(cs).toEqual([
      { scheme: 'basic', params: { realm: 'r"1' } },
      { scheme: 'bearer', params: { realm: 'http://t/token', error: 'insufficient_scope' } },
    ]);
  });
});

describe('RegistryClient token challenge', () => {
  let server: Server;
  let url = '';
  const tokenRequests: { authorization: string | undefined; scopes: string[] }[] = [];
  const received: { method: string; path: string; authorization: string | undefined; body: string }[] = [];

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const body = await readBody(req);
        if (u.pathname === '/token') {
          const scopes = u.searchParams.getAll('scope');
          tokenRequests.push({ authorization: req.headers.authorization, scopes });
          if (req.headers.authorization !== `Basic ${Buffer.from('alice:secret').toString('base64')}`) {
            res.writeHead(401).end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `tok:${scopes.join('|')}` }));
          return;
        }
        received.push({ method: req.method ?? '', path: u.pathname, authorization: req.headers.authorization, body });
        const repo = /^\/v2\/(.+?)\/(blobs|manifests)\//.exec(u.pathname)?.[1];
        const scope = repo ? `repository:${repo}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'pull,push'}` : '';
        if (req.headers.authorization !== `Bearer tok:${scope}`) {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="${url}/token",service="test",scope="${scope}"` }).end();
          return;
        }
        res.writeHead(201, { location: u.pathname }).end(body);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches a token with Basic credentials, retries with the body, and reuses the token per scope', async () => {
    const client = new RegistryClient({ url, username: 'alice', password: 'secret' });
    const first = await client.request({ method: 'PUT', path: '/v2/a/b/manifests/t1', body: 'payload-1' });
    expect(first.status).toBe(201);
    expect(first.text()).toBe('payload-1');
    expect(tokenRequests).toEqual([{ authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`, scopes: ['repository:a/b:pull,push'] }]);

    // Same repository and method: the cached token goes out up front, no new 401, no new token.
    const before = received.length;
    const second = await client.request({ method: 'PUT', path: '/v2/a/b/manifests/t2', body: 'payload-2' });
    expect(second.status).toBe(201);
    expect(received.length - before).toBe(1);
    expect(tokenRequests).toHaveLength(1);

    // A different scope gets its own token.
    const pull = await client.request({ method: 'GET', path: '/v2/a/b/blobs/sha256:00' });
    expect(pull.status).toBe(201);
    expect(tokenRequests.map((r) => r.scopes)).toEqual([['repository:a/b:pull,push'], ['repository:a/b:pull']]);
  });

  it('surfaces a token endpoint refusal as an error naming the status', async () => {
    const client = new RegistryClient({ url, username: 'alice', password: 'wrong' });
    await expect(client.request({ method: 'GET', path: '/v2/c/d/blobs/sha256:00' })).rejects.toThrow(/answered 401/);
  });

  it('returns the 401 itself when asked not to authenticate', async () => {
    const client = new RegistryClient({ url, username: 'alice', password: 'secret' });
    const res = await client.request({ method: 'GET', path: '/v2/e/f/blobs/sha256:00', noAuth: true });
    expect(res.status).toBe(401);
    expect(res.header('www-authenticate')).toContain('realm=');
  });
});
