// Accounts: sign-up (policy from config), the caller's profile, changing the password.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { NoContent, UserReply } from './schemas.ts';
import { createLocalAccount, EMAIL_PATTERN } from '../domain/accounts.ts';
import { confirmPassword, hashPassword, passwordProblem, verifyPassword, MAX_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { secretDigest } from '../domain/secrets.ts';
import { spendInvite } from '../store/invites.ts';
import { revokeUserSessions } from '../store/sessions.ts';
import { revokeUserDockerRefreshTokens } from '../store/docker-refresh-tokens.ts';
import { findUserByEmail, updateUser, userView } from '../store/users.ts';
import { inTransaction, originOf, requirePrincipal, requireUser } from './http.ts';
import { admitLogin } from '../domain/login-guard.ts';
import { USERNAME_PATTERN } from '../domain/usernames.ts';

const SignUp = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64, pattern: USERNAME_PATTERN }),
  email: Type.String({ maxLength: 320, pattern: EMAIL_PATTERN }),
  displayName: Type.Optional(Type.String({ maxLength: 128 })),
  password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  inviteCode: Type.Optional(Type.String({ maxLength: 128 })),
});

const ProfileChange = Type.Object({
  displayName: Type.Optional(Type.String({ maxLength: 128 })),
  email: Type.Optional(Type.String({ maxLength: 320, pattern: EMAIL_PATTERN })),
  /** Needed to change the email: the address password resets go to. */
  currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH })),
});

const PasswordChange = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  newPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
});

export async function accountRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/api/auth/signup', { schema: { tags: ['accounts'], summary: 'Create an account (open, invite-only or closed by AUTH_SIGNUP_POLICY)', security: [], body: SignUp, response: { 201: UserReply } } }, async (request, reply) => {
    const policy = ctx.settings.signupPolicy;
    const body = request.body;
    if (policy === 'admin-only') throw new ApiError('FORBIDDEN', 'sign-up is closed: ask a site admin for an account');
    if (policy === 'invite-only' && !body.inviteCode) throw new ApiError('FORBIDDEN', 'sign-up needs an invite code');
    const origin = originOf(request);
    // Sign-up is rate limited like a login: it hashes a password and can probe for taken names.
    await admitLogin(ctx, body.username, origin, 'console');
    const user = await inTransaction(ctx, async (trx) => {
      const created = await createLocalAccount(trx, body, 'signup', { subject: 'anonymous', name: body.username, origin });
      if (policy === 'invite-only' && !(await spendInvite(trx, secretDigest(body.inviteCode as string), body.email, created.id))) {
        throw new ApiError('FORBIDDEN', 'the invite code is invalid, used, expired or for another email');
      }
      return created;
    });
    return reply.code(201).send({ user: userView(user) });
  });

  r.get('/api/auth/me', { schema: { tags: ['accounts'], summary: 'The caller\'s account', response: { 200: UserReply } } }, async (request) => {
    const p = await requireUser(ctx, request);
    return { user: userView(p.user) };
  });

  r.patch('/api/auth/me', { schema: { tags: ['accounts'], summary: 'Change the display name or the email (the email needs currentPassword)', body: ProfileChange, response: { 200: UserReply } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    const { displayName, email } = request.body;
    if (email !== undefined && email.toLowerCase() !== p.user.email.toLowerCase()) {
      // Whoever holds a session must not be able to redirect password resets without the password.
      if (!(await confirmPassword(ctx, p.user, request.body.currentPassword ?? ''))) throw new ApiError('UNAUTHORIZED', 'confirm your current password to change the email');
      const other = await findUserByEmail(ctx.db, email);
      if (other && other.id !== p.user.id) throw new ApiError('CONFLICT', 'that email is already registered');
    }
    await updateUser(ctx.db, p.user.id, { ...(displayName !== undefined ? { display_name: displayName.trim() } : {}), ...(email !== undefined ? { email: email.trim() } : {}) });
    return { user: userView({ ...p.user, display_name: displayName?.trim() ?? p.user.display_name, email: email?.trim() ?? p.user.email }) };
  });

  r.post('/api/auth/password', { schema: { tags: ['accounts'], summary: 'Change the password; every other session ends', body: PasswordChange, response: { 204: NoContent } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    if (p.user.source !== 'local') throw new ApiError('CONFLICT', 'this account signs in through the directory: change the password there');
    const { currentPassword, newPassword } = request.body;
    const origin = originOf(request);
    await admitLogin(ctx, p.user.username, origin, 'console');
    if (!(await verifyPassword(p.user.password_hash, currentPassword))) throw new ApiError('UNAUTHORIZED', 'the current password is incorrect');
    const problem = passwordProblem(newPassword, p.user.username);
    if (problem) throw new ApiError('VALIDATION_FAILED', problem);
    const hash = await hashPassword(newPassword);
    await inTransaction(ctx, async (trx) => {
      await updateUser(trx, p.user.id, { password_hash: hash });
      // Every other session and every password-based docker login ends with the old password.
      await revokeUserSessions(trx, p.user.id, p.session.id);
      await revokeUserDockerRefreshTokens(trx, p.user.id, { passwordOnly: true });
      await recordEvent(trx, 'auth.password.changed', actor(`user:${p.user.id}`, p.user.username, origin), { userId: p.user.id, username: p.user.username });
    });
    return reply.code(204).send(null);
  });
}
