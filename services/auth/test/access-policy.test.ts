// Access decisions: the built-in rule, the metadata client (POST /internal/access), and the
// intersection of requested ∩ held ∩ credential limits that every token carries.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessEntry } from '@docksphere/access';
import { httpAccessDecider, type AccessDecider } from '@docksphere/kit';
import { BuiltinAccessPolicy, parseGroupGrants } from '../src/index.ts';
import { grantAccess } from '../src/domain/grants.ts';
import type { Subject } from '../src/domain/subject.ts';
import { basic, decodeJwt, startAuth } from './helpers.ts';

const alice: Subject = { kind: 'user', id: 'u1', username: 'alice', admin: false, groups: [] };
const admin: Subject = { kind: 'user', id: 'u0', username: 'root', admin: true, groups: [] };
const repo = (name: string, ...actions: string[]): AccessEntry => ({ type: 'repository', name, actions });

describe('built-in rule', () => {
  const policy = new BuiltinAccessPolicy(parseGroupGrants('dev=foo/img/*:pull,push'));

  it('own namespace: pull, push, delete; elsewhere nothing; anonymous nothing; admin everything', async () => {
    expect(await grantAccess(policy, alice, undefined, [repo('alice/app', 'pull', 'push', 'delete'), repo('bob/app', 'pull')])).toEqual([repo('alice/app', 'pull', 'push', 'delete')]);
    expect(await grantAccess(policy, alice, undefined, [repo('alicex/app', 'pull')])).toEqual([]);
    expect(await grantAccess(policy, { kind: 'anonymous' }, undefined, [repo('alice/app', 'pull')])).toEqual([]);
    expect(await grantAccess(policy, admin, undefined, [repo('bob/app', 'pull', 'push'), { type: 'registry', name: 'catalog', actions: ['*'] }])).toEqual([
      repo('bob/app', 'pull', 'push'),
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('group grants apply to members only, inside their pattern', async () => {
    const dev: Subject = { ...alice, groups: ['dev'] };
    expect(await grantAccess(policy, dev, undefined, [repo('foo/img/web', 'pull', 'push', 'delete'), repo('foo/imgx', 'pull')])).toEqual([repo('foo/img/web', 'pull', 'push')]);
    expect(await grantAccess(policy, alice, undefined, [repo('foo/img/web', 'pull')])).toEqual([]);
  });

  it('an access token limits even the admin; repository(plugin) is signed as repository', async () => {
    const limits = { actions: ['pull' as const], accessTokenId: 't' };
    expect(await grantAccess(policy, admin, limits, [repo('x/y', '*')])).toEqual([repo('x/y', 'pull')]);
    expect(await grantAccess(policy, alice, undefined, [{ type: 'repository(plugin)', name: 'alice/p', actions: ['pull'] }])).toEqual([repo('alice/p', 'pull')]);
  });

  it('reads LDAP_GROUP_GRANTS and refuses what it cannot read', () => {
    expect(parseGroupGrants('dev=foo/img/*:pull,push; ops=*:pull')).toEqual([
      { group: 'dev', pattern: 'foo/img/*', actions: ['pull', 'push'] },
      { group: 'ops', pattern: '*', actions: ['pull'] },
    ]);
    expect(() => parseGroupGrants('dev:foo')).toThrow(/LDAP_GROUP_GRANTS/);
  });
});

describe('metadata policy over HTTP', () => {
  let server: Server;
  let url: string;
  const seen: { secret: string | undefined; body: any }[] = [];
  let answer: (body: any) => { status: number; json: unknown } = () => ({ status: 200, json: { granted: [] } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw);
        seen.push({ secret: req.headers['x-internal-secret'] as string | undefined, body });
        const a = req.url === '/internal/access' && req.method === 'POST' ? answer(body) : { status: 404, json: {} };
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.json));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('sends the subject and the request with the internal secret, and intersects what comes back', async () => {
    // Metadata may answer with more than was asked: the token still carries only the intersection.
    answer = (body) => ({ status: 200, json: { granted: body.requested.map((e: AccessEntry) => ({ ...e, actions: ['pull', 'delete'] })).concat([repo('other/x', 'push')]) } });
    const policy: AccessDecider = httpAccessDecider({ metadataUrl: url, internalSecret: 'internal-secret' });
    const granted = await grantAccess(policy, alice, undefined, [repo('team/app', 'pull', 'push')]);
    expect(granted).toEqual([repo('team/app', 'pull')]);
    expect(seen.at(-1)).toEqual({ secret: 'internal-secret', body: { subject: alice, requested: [repo('team/app', 'pull', 'push')] } });
  });

  it('a failing metadata service is an error, never a grant, and the token endpoint answers 503', async () => {
    answer = () => ({ status: 500, json: {} });
    await expect(httpAccessDecider({ metadataUrl: url, internalSecret: undefined }).decide(alice, [repo('team/app', 'pull')])).rejects.toThrow(/500/);
    answer = () => ({ status: 200, json: { nope: true } });
    await expect(httpAccessDecider({ metadataUrl: url, internalSecret: undefined }).decide(alice, [repo('team/app', 'pull')])).rejects.toThrow(/granted/);
    const auth = await startAuth({ env: { AUTH_ACCESS_POLICY: 'metadata', METADATA_URL: url } });
    try {
      answer = () => ({ status: 503, json: {} });
      const res = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:admin/app:pull', headers: { authorization: basic('admin', 'admin-password-for-tests') } });
      expect(res.statusCode).toBe(503);
      expect(res.json().errors[0].code).toBe('UNAVAILABLE');
      answer = (body) => ({ status: 200, json: { granted: body.requested } });
      const ok = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:team/app:pull', headers: { authorization: basic('admin', 'admin-password-for-tests') } });
      expect(decodeJwt(ok.json().token).claims.access).toEqual([repo('team/app', 'pull')]);
    } finally {
      await auth.close();
    }
  });
});
