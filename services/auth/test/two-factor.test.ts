// Two-factor authentication: enrolment, login with TOTP or a backup code, one use per code,
// regeneration, disabling with a fresh code, admin reset, and the docker password refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeAt } from '../src/domain/totp.ts';
import { ADMIN_PASSWORD, basic, consoleLogin, cookiesOf, createUser, outboxEvents, startAuth, type ConsoleLogin, type TestAuth } from './helpers.ts';

let auth: TestAuth;
let admin: ConsoleLogin;
beforeAll(async () => {
  auth = await startAuth();
  admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => auth?.close());

/** Enrols and activates 2FA for a fresh user; returns the secret and backup codes. */
async function enrolled(username: string, password: string) {
  await createUser(auth.app, admin, username, password);
  const session = await consoleLogin(auth.app, username, password);
  const enrol = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/enrol', headers: session.bearer, payload: { password } });
  expect(enrol.statusCode).toBe(200);
  const secret = enrol.json().secret as string;
  const activate = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/activate', headers: session.bearer, payload: { code: codeAt(secret, Date.now()) } });
  expect(activate.statusCode).toBe(200);
  return { session, secret, backupCodes: activate.json().backupCodes as string[] };
}

async function passwordStep(username: string, password: string) {
  const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('two-factor authentication', () => {
  it('enrolment gives an otpauth URI and a QR code, and needs the password and a correct first code', async () => {
    await createUser(auth.app, admin, 'gina', 'gina-password-1');
    const s = await consoleLogin(auth.app, 'gina', 'gina-password-1');
    const noPassword = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/enrol', headers: s.bearer, payload: { password: 'wrong-one-here' } });
    expect(noPassword.statusCode).toBe(401);
    const enrol = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/enrol', headers: s.bearer, payload: { password: 'gina-password-1' } });
    const body = enrol.json();
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*gina\?.*secret=[A-Z2-7]+/);
    expect(body.otpauthUri).toContain('digits=6');
    expect(body.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    const wrong = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/activate', headers: s.bearer, payload: { code: '000000' === codeAt(body.secret, Date.now()) ? '111111' : '000000' } });
    expect(wrong.statusCode).toBe(401);
    const malformed = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/activate', headers: s.bearer, payload: { code: 'abc' } });
    expect(malformed.statusCode).toBe(400);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/2fa', headers: s.bearer })).json()).toEqual({ enabled: false, backupCodesLeft: 0 });
  });

  it('activation returns ten backup codes, stored only as digests', async () => {
    const { session, backupCodes } = await enrolled('hank', 'hank-password-1');
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    const rows = await auth.db.db.withSchema('identity').selectFrom('backup_codes').select('code_hash').execute();
    const stored = JSON.stringify(rows);
    for (const c of backupCodes) expect(stored).not.toContain(c);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/2fa', headers: session.bearer })).json()).toEqual({ enabled: true, backupCodesLeft: 10 });
    expect((await outboxEvents(auth.db, 'auth.twofactor.changed')).some((e) => e.payload.username === 'hank' && e.payload.change === 'enabled')).toBe(true);
  });

  it('login asks for the second factor, accepts a TOTP code once, and a backup code once', async () => {
    const { secret, backupCodes } = await enrolled('ivan', 'ivan-password-1');
    const step = await passwordStep('ivan', 'ivan-password-1');
    expect(step.twoFactorRequired).toBe(true);
    expect(step.accessToken).toBeUndefined();
    // A code from the step already used at activation is refused (replay); use the next step.
    const later = Date.now() + 30_000;
    const code = codeAt(secret, later);
    const wrong = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, code: code === '123456' ? '654321' : '123456' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, code } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.username).toBe('ivan');
    expect(cookiesOf(ok).ds_refresh).toBeTruthy();
    const replay = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, code } });
    expect(replay.statusCode).toBe(401);
    const viaBackup = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, backupCode: (backupCodes[0] as string).toUpperCase() } });
    expect(viaBackup.statusCode).toBe(200);
    const backupAgain = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, backupCode: backupCodes[0] } });
    expect(backupAgain.statusCode).toBe(401);
    const forged = await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: 'not-a-jwt', code } });
    expect(forged.statusCode).toBe(401);
  });

  it('regenerating backup codes needs a fresh code and voids the old ones', async () => {
    const { session, secret, backupCodes } = await enrolled('judy', 'judy-password-1');
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/backup-codes', headers: session.bearer, payload: { code: codeAt(secret, Date.now() + 30_000) } });
    expect(res.statusCode).toBe(200);
    const fresh = res.json().backupCodes as string[];
    expect(fresh).toHaveLength(10);
    const step = await passwordStep('judy', 'judy-password-1');
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, backupCode: backupCodes[1] } })).statusCode).toBe(401);
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.challenge, backupCode: fresh[1] } })).statusCode).toBe(200);
  });

  it('disabling needs a fresh TOTP code (not a backup code)', async () => {
    const { session, secret, backupCodes } = await enrolled('kate', 'kate-password-1');
    const withBackup = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/disable', headers: session.bearer, payload: { code: backupCodes[0] } });
    expect(withBackup.statusCode).toBe(400);
    const ok = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/disable', headers: session.bearer, payload: { code: codeAt(secret, Date.now() + 30_000) } });
    expect(ok.statusCode).toBe(204);
    expect((await passwordStep('kate', 'kate-password-1')).accessToken).toBeTruthy();
  });

  it('an admin can reset a user\'s 2FA; others cannot', async () => {
    const { session } = await enrolled('liam', 'liam-password-1');
    const self = await auth.app.inject({ method: 'POST', url: '/api/auth/admin/users/liam/2fa/reset', headers: session.bearer });
    expect(self.statusCode).toBe(403);
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/admin/users/liam/2fa/reset', headers: admin.bearer });
    expect(res.statusCode).toBe(200);
    expect(res.json().twoFactorEnabled).toBe(false);
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/admin/users/nobody/2fa/reset', headers: admin.bearer })).statusCode).toBe(404);
    expect((await passwordStep('liam', 'liam-password-1')).accessToken).toBeTruthy();
    expect((await outboxEvents(auth.db, 'auth.twofactor.changed')).some((e) => e.payload.username === 'liam' && e.payload.change === 'admin-reset')).toBe(true);
  });

  it('docker login with the password of a 2FA account is refused with a pointer to access tokens; an access token works', async () => {
    const { session } = await enrolled('mona', 'mona-password-1');
    const res = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:mona/app:pull', headers: { authorization: basic('mona', 'mona-password-1') } });
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].code).toBe('UNAUTHORIZED');
    expect(res.json().errors[0].message).toMatch(/two-factor authentication is enabled.*access token/);
    const wrong = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('mona', 'wrong-password') } });
    expect(wrong.json().errors[0].message).toBe('incorrect username or password');
    const pat = await auth.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: session.bearer, payload: { name: 'laptop', scopes: ['pull', 'push'] } });
    const ok = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:mona/app:pull', headers: { authorization: basic('mona', pat.json().token) } });
    expect(ok.statusCode).toBe(200);
  });

  it('turning 2FA on ends earlier password-based docker logins', async () => {
    await createUser(auth.app, admin, 'nina', 'nina-password-1');
    const docker = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&offline_token=true', headers: { authorization: basic('nina', 'nina-password-1') } });
    const s = await consoleLogin(auth.app, 'nina', 'nina-password-1');
    const enrol = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/enrol', headers: s.bearer, payload: { password: 'nina-password-1' } });
    await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/activate', headers: s.bearer, payload: { code: codeAt(enrol.json().secret, Date.now()) } });
    const refresh = await auth.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=refresh_token&service=docksphere&refresh_token=${docker.json().refresh_token}`,
    });
    expect(refresh.statusCode).toBe(401);
  });
});
