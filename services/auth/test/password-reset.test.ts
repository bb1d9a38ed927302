// Password reset by a one-time emailed link, caught by a real SMTP server (smtp-server) on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { ADMIN_PASSWORD, basic, consoleLogin, createUser, outboxEvents, startAuth, type TestAuth } from './helpers.ts';

interface CaughtMail {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let auth: TestAuth;
const inbox: CaughtMail[] = [];

async function waitForMail(count: number): Promise<CaughtMail> {
  for (let i = 0; i < 100 && inbox.length < count; i++) await new Promise((r) => setTimeout(r, 50));
  const mail = inbox[count - 1];
  if (!mail) throw new Error(`expected ${count} mails, got ${inbox.length}`);
  return mail;
}

function linkToken(raw: string): string {
  const unfolded = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /reset-password#token=([A-Za-z0-9_%]+)/.exec(unfolded);
  if (!m) throw new Error(`no reset link in mail:\n${raw}`);
  return decodeURIComponent(m[1] as string);
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  auth = await startAuth({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'DockSphere <noreply@registry.test>' } });
  const admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
  await createUser(auth.app, admin, 'alice', 'alice-password-1');
});
afterAll(async () => {
  await auth?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('password reset', () => {
  it('mails a one-time link that sets a new password, ends sessions, and works once', async () => {
    const session = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const ask = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'ALICE@example.test' } });
    expect(ask.statusCode).toBe(202);
    const mail = await waitForMail(1);
    expect(mail.to).toEqual(['alice@example.test']);
    expect(mail.raw).toContain('Subject: Reset your DockSphere password');
    const token = linkToken(mail.raw);
    expect(token).toMatch(/^dsw_/);
    const stored = await auth.db.db.withSchema('identity').selectFrom('password_resets').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);

    const weak = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, newPassword: 'short' } });
    expect(weak.statusCode).toBe(400);
    // A refused new password does not spend the link.
    const done = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, newPassword: 'alice-password-2' } });
    expect(done.statusCode).toBe(204);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: session.bearer })).statusCode).toBe(401);
    await consoleLogin(auth.app, 'alice', 'alice-password-2');
    const oldPassword = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('alice', 'alice-password-1') } });
    expect(oldPassword.statusCode).toBe(401);

    const again = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, newPassword: 'alice-password-3' } });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toMatch(/invalid, used or expired/);
    const stages = (await outboxEvents(auth.db, 'auth.password.reset')).map((e) => e.payload.stage);
    expect(stages).toEqual(['requested', 'completed']);
  });

  it('sends nothing for an unknown address, and an expired link is refused', async () => {
    const before = inbox.length;
    await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'nobody@example.test' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(inbox.length).toBe(before);
    await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'alice@example.test' } });
    const token = linkToken((await waitForMail(before + 1)).raw);
    await auth.db.db.withSchema('identity').updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000) }).execute();
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, newPassword: 'alice-password-9' } });
    expect(res.statusCode).toBe(400);
    const forged = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token: 'dsw_forgedforgedforged', newPassword: 'alice-password-9' } });
    expect(forged.statusCode).toBe(400);
    const invalid = await auth.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'not-an-email' } });
    expect(invalid.statusCode).toBe(400);
  });
});
