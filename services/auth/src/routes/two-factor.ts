// Two-factor authentication: enrol (otpauth URI + QR code), activate with a first code, regenerate
// backup codes, disable with a fresh code; admins reset a user's 2FA.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { NoContent } from './schemas.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { confirmPassword, MAX_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { backupCodeDigest, enrolment, newBackupCodes, newTotpSecret } from '../domain/totp.ts';
import { checkSecondFactor } from '../domain/two-factor.ts';
import { sealTotpSecret } from '../domain/totp-secrets.ts';
import { countUnusedBackupCodes, replaceBackupCodes } from '../store/backup-codes.ts';
import { revokeUserDockerRefreshTokens } from '../store/docker-refresh-tokens.ts';
import { findUserById, findUserByUsername, updateUser } from '../store/users.ts';
import { inTransaction, originOf, requireAdmin, requirePrincipal } from './http.ts';

const Code = Type.String({ pattern: '^\\s*\\d{3}\\s?\\d{3}\\s*$' });
const Enrol = Type.Object({ password: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH })) });
const WithCode = Type.Object({ code: Code });
const Username = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });

export async function twoFactorRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/auth/2fa', { schema: { tags: ['two-factor'], summary: 'Whether 2FA is on, and how many backup codes are left', response: { 200: Type.Object({ enabled: Type.Boolean(), backupCodesLeft: Type.Integer() }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    return { enabled: p.user.totp_enabled, backupCodesLeft: p.user.totp_enabled ? await countUnusedBackupCodes(ctx.db, p.user.id) : 0 };
  });

  // Starts enrolment: a new secret, pending until a code from it is confirmed.
  r.post('/api/auth/2fa/enrol', { schema: { tags: ['two-factor'], summary: 'Start enrolment: a new TOTP secret, its otpauth URI and QR code', body: Enrol, response: { 200: Type.Object({ secret: Type.String(), otpauthUri: Type.String(), qrCodeDataUrl: Type.String() }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    if (p.user.totp_enabled) throw new ApiError('CONFLICT', 'two-factor authentication is already enabled: disable it first');
    if (!(await confirmPassword(ctx, p.user, request.body.password ?? ''))) throw new ApiError('UNAUTHORIZED', 'confirm your password to enrol');
    const secret = newTotpSecret();
    await updateUser(ctx.db, p.user.id, { ...sealTotpSecret(ctx.secrets, p.user.id, secret), totp_enabled: false, totp_last_step: null });
    const issuer = new URL(ctx.publicUrl).host ? `DockSphere (${new URL(ctx.publicUrl).host})` : 'DockSphere';
    return enrolment(secret, p.user.username, issuer);
  });

  r.post('/api/auth/2fa/activate', { schema: { tags: ['two-factor'], summary: 'Turn 2FA on with a first code; answers the backup codes (shown once)', body: WithCode, response: { 200: Type.Object({ enabled: Type.Literal(true), backupCodes: Type.Array(Type.String()) }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    if (p.user.totp_enabled) throw new ApiError('CONFLICT', 'two-factor authentication is already enabled');
    if (!p.user.totp_secret) throw new ApiError('CONFLICT', 'start enrolment first (POST /api/auth/2fa/enrol)');
    const check = await checkSecondFactor(ctx, p.user, { code: request.body.code }, { allowBackupCode: false });
    if (!check.ok) throw new ApiError('UNAUTHORIZED', 'incorrect code: check the authenticator app and the device clock');
    const codes = newBackupCodes();
    await inTransaction(ctx, async (trx) => {
      await updateUser(trx, p.user.id, { totp_enabled: true });
      await replaceBackupCodes(trx, p.user.id, codes.map((c) => backupCodeDigest(p.user.id, c)));
      // A docker login made with the password must not outlive the switch to 2FA.
      await revokeUserDockerRefreshTokens(trx, p.user.id, { passwordOnly: true });
      await recordEvent(trx, 'auth.twofactor.changed', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { userId: p.user.id, username: p.user.username, change: 'enabled' });
    });
    return { enabled: true as const, backupCodes: codes };
  });

  r.post('/api/auth/2fa/backup-codes', { schema: { tags: ['two-factor'], summary: 'Replace the backup codes (shown once)', body: WithCode, response: { 200: Type.Object({ backupCodes: Type.Array(Type.String()) }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    if (!p.user.totp_enabled) throw new ApiError('CONFLICT', 'two-factor authentication is not enabled');
    const check = await checkSecondFactor(ctx, p.user, { code: request.body.code }, { allowBackupCode: false });
    if (!check.ok) throw new ApiError('UNAUTHORIZED', 'incorrect or already used code');
    const codes = newBackupCodes();
    await inTransaction(ctx, async (trx) => {
      await replaceBackupCodes(trx, p.user.id, codes.map((c) => backupCodeDigest(p.user.id, c)));
      await recordEvent(trx, 'auth.twofactor.changed', actor(`user:${p.user.id}`, p.user.username, originOf(request)), {
        userId: p.user.id,
        username: p.user.username,
        change: 'backup-codes-regenerated',
      });
    });
    return { backupCodes: codes };
  });

  r.post('/api/auth/2fa/disable', { schema: { tags: ['two-factor'], summary: 'Turn 2FA off with a current code', body: WithCode, response: { 204: NoContent } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    if (!p.user.totp_enabled) throw new ApiError('CONFLICT', 'two-factor authentication is not enabled');
    const check = await checkSecondFactor(ctx, p.user, { code: request.body.code }, { allowBackupCode: false });
    if (!check.ok) throw new ApiError('UNAUTHORIZED', 'incorrect or already used code');
    await inTransaction(ctx, async (trx) => {
      await updateUser(trx, p.user.id, { totp_enabled: false, totp_secret: null, totp_secret_key_id: null, totp_last_step: null });
      await replaceBackupCodes(trx, p.user.id, []);
      await recordEvent(trx, 'auth.twofactor.changed', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { userId: p.user.id, username: p.user.username, change: 'disabled' });
    });
    return reply.code(204).send(null);
  });

  r.post('/api/auth/admin/users/:username/2fa/reset', { schema: { tags: ['site admin'], summary: 'Turn off a user\'s 2FA (site admins)', params: Username, response: { 200: Type.Object({ username: Type.String(), twoFactorEnabled: Type.Boolean() }) } } }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const user = await findUserByUsername(ctx.db, request.params.username);
    if (!user) throw new ApiError('NOT_FOUND', 'no such user');
    await inTransaction(ctx, async (trx) => {
      await updateUser(trx, user.id, { totp_enabled: false, totp_secret: null, totp_secret_key_id: null, totp_last_step: null });
      await replaceBackupCodes(trx, user.id, []);
      await recordEvent(trx, 'auth.twofactor.changed', actor(`user:${admin.user.id}`, admin.user.username, originOf(request)), { userId: user.id, username: user.username, change: 'admin-reset' });
    });
    const after = await findUserById(ctx.db, user.id);
    return reply.code(200).send({ username: user.username, twoFactorEnabled: after?.totp_enabled ?? false });
  });
}
