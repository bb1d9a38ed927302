// Password reset by a one-time emailed link. The request answers the same whether or not the
// address is known, and sends mail after answering, so neither words nor timing tell.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { NoContent } from './schemas.ts';
import { EMAIL_PATTERN } from '../domain/accounts.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { hashPassword, passwordProblem, MAX_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { newSecret, secretDigest, secretPrefix } from '../domain/secrets.ts';
import { rateLimited } from '../domain/login-guard.ts';
import { insertPasswordReset, spendPasswordReset, voidPasswordResets } from '../store/password-resets.ts';
import { revokeUserSessions } from '../store/sessions.ts';
import { revokeUserDockerRefreshTokens } from '../store/docker-refresh-tokens.ts';
import { findUserByEmail, findUserById, updateUser } from '../store/users.ts';
import { inTransaction, originOf } from './http.ts';

const ResetRequest = Type.Object({ email: Type.String({ maxLength: 320, pattern: EMAIL_PATTERN }) });
const ResetCompletion = Type.Object({
  token: Type.String({ minLength: 10, maxLength: 128 }),
  newPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
});

export const RESET_ACCEPTED_MESSAGE = 'if an account uses this address, a reset link is on its way';

export async function passwordResetRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/api/auth/password-reset', { schema: { tags: ['accounts'], summary: 'Email a one-time reset link (the answer is the same for unknown addresses)', security: [], body: ResetRequest, response: { 202: Type.Object({ message: Type.String() }) } } }, async (request, reply) => {
    const origin = originOf(request);
    const email = request.body.email.trim();
    const perIp = await ctx.limiter.hit(`reset:ip:${origin.ip ?? '-'}`, ctx.settings.rateLimit.resetPerIpPerHour, 3600);
    if (!perIp.allowed) throw rateLimited(perIp.retryAfterSeconds);
    const perAccount = await ctx.limiter.hit(`reset:email:${email.toLowerCase()}`, 3, 3600);
    if (!perAccount.allowed) throw rateLimited(perAccount.retryAfterSeconds);
    reply.code(202).send({ message: RESET_ACCEPTED_MESSAGE });
    // After the answer: the lookup, the insert and the SMTP exchange cost the same to every caller.
    void sendResetLink(ctx, email, origin).catch((err: Error) => ctx.logger.error({ err: { message: err.message } }, 'password reset mail failed'));
    return reply;
  });

  r.post('/api/auth/password-reset/complete', { schema: { tags: ['accounts'], summary: 'Set a new password with the token of a reset link', security: [], body: ResetCompletion, response: { 204: NoContent } } }, async (request, reply) => {
    const { token, newPassword } = request.body;
    const origin = originOf(request);
    const limit = await ctx.limiter.hit(`reset:ip:${origin.ip ?? '-'}`, ctx.settings.rateLimit.resetPerIpPerHour, 3600);
    if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
    const hash = await hashPassword(newPassword);
    await inTransaction(ctx, async (trx) => {
      const userId = token.startsWith(secretPrefix.reset) ? await spendPasswordReset(trx, secretDigest(token)) : undefined;
      const user = userId ? await findUserById(trx, userId) : undefined;
      if (!user || user.disabled || user.source !== 'local') throw new ApiError('BAD_REQUEST', 'this reset link is invalid, used or expired: ask for a new one');
      const problem = passwordProblem(newPassword, user.username);
      if (problem) throw new ApiError('VALIDATION_FAILED', problem);
      await updateUser(trx, user.id, { password_hash: hash });
      await voidPasswordResets(trx, user.id);
      await revokeUserSessions(trx, user.id);
      await revokeUserDockerRefreshTokens(trx, user.id, { passwordOnly: true });
      await recordEvent(trx, 'auth.password.reset', actor(`user:${user.id}`, user.username, origin), { userId: user.id, username: user.username, stage: 'completed' });
    });
    return reply.code(204).send(null);
  });
}

async function sendResetLink(ctx: AuthContext, email: string, origin: { ip: string | undefined; userAgent: string | undefined }): Promise<void> {
  const user = await findUserByEmail(ctx.db, email);
  if (!user || user.disabled || user.source !== 'local') return;
  const token = newSecret(secretPrefix.reset);
  await inTransaction(ctx, async (trx) => {
    await insertPasswordReset(trx, { userId: user.id, tokenHash: secretDigest(token), expiresAt: new Date(Date.now() + ctx.settings.resetTtlSeconds * 1000) });
    await recordEvent(trx, 'auth.password.reset', actor('anonymous', user.username, origin), { userId: user.id, username: user.username, stage: 'requested' });
  });
  const link = `${ctx.publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
  const minutes = Math.round(ctx.settings.resetTtlSeconds / 60);
  await ctx.mailer.send({
    to: user.email,
    subject: 'Reset your DockSphere password',
    text: `Someone asked to reset the password of the DockSphere account "${user.username}".\n\nTo choose a new password, open this link within ${minutes} minutes:\n\n${link}\n\nThe link works once. If you did not ask for this, ignore this message: your password stays as it is.\n`,
  });
}
