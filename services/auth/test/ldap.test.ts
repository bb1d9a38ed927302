// LDAP login against a real slapd: bind as the user, local record created from the directory,
// group membership mapped to grants (group dev may push and pull foo/img/*), re-read at each login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attribute, Change } from 'ldapts';
import { requireServer } from '@docksphere/infra';
import { basic, decodeJwt, outboxEvents, startAuth, type TestAuth } from './helpers.ts';
import { addGroup, addPerson, BASE_DN, slapdAvailable, startSlapd, type RunningSlapd } from './slapd.ts';

describe.skipIf(!requireServer('slapd', slapdAvailable(), 'apt-get install -y slapd ldap-utils'))('LDAP login', () => {
  let slapd: RunningSlapd;
  let auth: TestAuth;
  let lenaDn: string;

  beforeAll(async () => {
    slapd = await startSlapd();
    lenaDn = await addPerson(slapd, 'lena', 'lena-ldap-password', 'lena@corp.test', 'Lena Larsen');
    const ottoDn = await addPerson(slapd, 'otto', 'otto-ldap-password', 'otto@corp.test', 'Otto Olsen');
    // groupOfNames needs a member: a placeholder keeps dev valid when lena leaves it.
    await addGroup(slapd, 'dev', [lenaDn, `uid=placeholder,ou=people,${BASE_DN}`]);
    await addGroup(slapd, 'ops', [ottoDn]);
    auth = await startAuth({
      env: {
        LDAP_URL: slapd.url,
        LDAP_USER_DN_TEMPLATE: `uid={username},ou=people,${BASE_DN}`,
        LDAP_GROUP_BASE_DN: `ou=groups,${BASE_DN}`,
        LDAP_GROUP_GRANTS: 'dev=foo/img/*:pull,push;ops=foo/img/base:pull',
      },
    });
  });
  afterAll(async () => {
    await auth?.close();
    await slapd?.stop();
  });

  const token = (username: string, password: string, scope: string) =>
    auth.app.inject({ method: 'GET', url: `/auth/token?service=docksphere&scope=${encodeURIComponent(scope)}`, headers: { authorization: basic(username, password) } });

  it('logs a directory user into the console and creates the local record from the directory', async () => {
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lena', password: 'lena-ldap-password' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ username: 'lena', email: 'lena@corp.test', displayName: 'Lena Larsen', source: 'ldap' });
    const row = await auth.db.db.withSchema('identity').selectFrom('users').select(['password_hash', 'ldap_groups']).where('username', '=', 'lena').executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    expect(row.ldap_groups).toEqual(['dev']);
    expect((await outboxEvents(auth.db, 'auth.user.created')).some((e) => e.payload.username === 'lena' && e.payload.source === 'ldap')).toBe(true);
  });

  it('refuses a wrong directory password and an unknown user with the same message', async () => {
    const wrong = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lena', password: 'not-it' }, remoteAddress: '10.8.0.1' });
    const unknown = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ghost', password: 'not-it' }, remoteAddress: '10.8.0.2' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
  });

  it('group membership grants access: dev may push and pull foo/img/*, ops only pull foo/img/base', async () => {
    const lena = await token('lena', 'lena-ldap-password', 'repository:foo/img/app:pull,push');
    expect(lena.statusCode).toBe(200);
    expect(decodeJwt(lena.json().token).claims.access).toEqual([{ type: 'repository', name: 'foo/img/app', actions: ['pull', 'push'] }]);
    const outside = await token('lena', 'lena-ldap-password', 'repository:foo/other:pull');
    expect(decodeJwt(outside.json().token).claims.access).toEqual([]);
    const otto = await token('otto', 'otto-ldap-password', 'repository:foo/img/base:pull,push');
    expect(decodeJwt(otto.json().token).claims.access).toEqual([{ type: 'repository', name: 'foo/img/base', actions: ['pull'] }]);
    const ottoApp = await token('otto', 'otto-ldap-password', 'repository:foo/img/app:pull');
    expect(decodeJwt(ottoApp.json().token).claims.access).toEqual([]);
    // Their own namespace, as for any user.
    const own = await token('otto', 'otto-ldap-password', 'repository:otto/tool:push');
    expect(decodeJwt(own.json().token).claims.access).toEqual([{ type: 'repository', name: 'otto/tool', actions: ['push'] }]);
  });

  it('re-reads groups at each login: leaving the group takes the access away', async () => {
    await slapd.asRoot((c) =>
      c.modify(`cn=dev,ou=groups,${BASE_DN}`, [new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [lenaDn] }) })]),
    );
    const res = await token('lena', 'lena-ldap-password', 'repository:foo/img/app:pull,push');
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json().token).claims.access).toEqual([]);
  });

  it('refuses an empty password (an unauthenticated bind) and names that are not namespaces', async () => {
    const empty = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('lena', '') } });
    expect(empty.statusCode).toBe(401);
    const injection = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lena,ou=people', password: 'lena-ldap-password' } });
    expect(injection.statusCode).toBe(401);
  });
});

describe.skipIf(!slapdAvailable())('LDAP unavailable', () => {
  it('answers 503, not a login failure, when the directory cannot be reached', async () => {
    const auth = await startAuth({ env: { LDAP_URL: 'ldap://127.0.0.1:1', LDAP_TIMEOUT_MS: '1000' } });
    try {
      const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lena', password: 'whatever-it-is' } });
      expect(res.statusCode).toBe(503);
      const token = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('lena', 'whatever-it-is') } });
      expect(token.statusCode).toBe(503);
      expect(token.json().errors[0].code).toBe('UNAVAILABLE');
    } finally {
      await auth.close();
    }
  });
});
