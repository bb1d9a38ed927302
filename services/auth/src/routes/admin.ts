// Site-admin user management: list, create, disable/enable, grant admin, delete, invites.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, PageOf, PageQuery, decodeCursor, pageOf } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { NoContent, User, UserReply } from './schemas.ts';
import { createLocalAccount, EMAIL_PATTERN } from '../domain/accounts.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { MAX_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { newSecret, secretDigest, secretPrefix } from '../domain/secrets.ts';
import { USERNAME_PATTERN } from '../domain/usernames.ts';
import { insertInvite } from '../store/invites.ts';
import { revokeUserSessions } from '../store/sessions.ts';
import { deleteUserAccount, findUserByUsername, listUsers, updateUser, userView } from '../store/users.ts';
import { inTransaction, originOf, requireAdmin } from './http.ts';

const NewUser = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64, pattern: USERNAME_PATTERN }),
  email: Type.String({ maxLength: 320, pattern: EMAIL_PATTERN }),
  displayName: Type.Optional(Type.String({ maxLength: 128 })),
  password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  admin: Type.Optional(Type.Boolean()),
});
const UserChange = Type.Object({ disabled: Type.Optional(Type.Boolean()), admin: Type.Optional(Type.Boolean()) });
const Username = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });
const DeleteConfirm = Type.Object({ confirm: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(PageQuery);
const NewInvite = Type.Object({ email: Type.Optional(Type.String({ maxLength: 320, pattern: EMAIL_PATTERN })), expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 })) });

export async function adminRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/auth/admin/users', { schema: { tags: ['site admin'], summary: 'Every account, by username', querystring: ListQuery, response: { 200: PageOf(User) } } }, async (request) => {
    await requireAdmin(ctx, request);
    const limit = Math.min(request.query.limit ?? 100, 500);
    const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
    // One more than a page tells whether another page follows.
    const users = await listUsers(ctx.db, { limit: limit + 1, after: after as string | undefined });
    return pageOf(users, limit, (u) => [u.username], userView);
  });

  r.post('/api/auth/admin/users', { schema: { tags: ['site admin'], summary: 'Create a local account', body: NewUser, response: { 201: UserReply } } }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const user = await inTransaction(ctx, (trx) =>
      createLocalAccount(trx, request.body, 'admin', { subject: `user:${admin.user.id}`, name: admin.user.username, origin: originOf(request) }),
    );
    return reply.code(201).send({ user: userView(user) });
  });

  r.patch('/api/auth/admin/users/:username', { schema: { tags: ['site admin'], summary: 'Disable or enable an account, grant or drop site admin', params: Username, body: UserChange, response: { 200: UserReply } } }, async (request) => {
    const admin = await requireAdmin(ctx, request);
    const user = await findUserByUsername(ctx.db, request.params.username);
    if (!user) throw new ApiError('NOT_FOUND', 'no such user');
    const { disabled, admin: makeAdmin } = request.body;
    if (user.id === admin.user.id && (disabled === true || makeAdmin === false)) throw new ApiError('CONFLICT', 'you cannot disable yourself or drop your own admin role');
    await inTransaction(ctx, async (trx) => {
      await updateUser(trx, user.id, { ...(disabled !== undefined ? { disabled } : {}), ...(makeAdmin !== undefined ? { is_admin: makeAdmin } : {}) });
      if (disabled !== undefined && disabled !== user.disabled) {
        if (disabled) await revokeUserSessions(trx, user.id);
        await recordEvent(trx, 'auth.user.disabled', actor(`user:${admin.user.id}`, admin.user.username, originOf(request)), { userId: user.id, username: user.username, disabled });
      }
      // Granting or dropping site admin is a security event: audited, and the hooks alert rules watch it.
      if (makeAdmin !== undefined && makeAdmin !== user.is_admin) {
        await recordEvent(trx, 'auth.admin.changed', actor(`user:${admin.user.id}`, admin.user.username, originOf(request)), { userId: user.id, username: user.username, admin: makeAdmin });
      }
    });
    return { user: userView({ ...user, disabled: disabled ?? user.disabled, is_admin: makeAdmin ?? user.is_admin }) };
  });

  // Generated keys (all-in-one) rotate here; mounted key files rotate by replacing the files.
  // Deletes an account with its sessions, tokens and its namespace's robots. The metadata service
  // hears auth.user.deleted and removes what the user owned (DELETE /api/admin/users/:u first, to
  // transfer instead). The name is asked again as confirmation.
  r.delete('/api/auth/admin/users/:username', { schema: { tags: ['site admin'], summary: 'Delete an account with its sessions, tokens and robots (confirm repeats the username)', params: Username, querystring: DeleteConfirm, response: { 204: NoContent } } }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const user = await findUserByUsername(ctx.db, request.params.username);
    if (!user) throw new ApiError('NOT_FOUND', 'no such user');
    if (request.query.confirm !== user.username) throw new ApiError('VALIDATION_FAILED', 'confirm must repeat the username of the account to delete');
    if (user.id === admin.user.id) throw new ApiError('CONFLICT', 'you cannot delete your own account');
    await inTransaction(ctx, async (trx) => {
      await deleteUserAccount(trx, user);
      await recordEvent(trx, 'auth.user.deleted', actor(`user:${admin.user.id}`, admin.user.username, originOf(request)), { userId: user.id, username: user.username });
    });
    return reply.code(204).send(null);
  });

  r.post('/api/auth/admin/keys/rotate', { schema: { tags: ['site admin'], summary: 'Rotate the token signing key (generated keys only)', response: { 201: Type.Object({ kid: Type.String(), keys: Type.Array(Type.String()) }) } } }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    let kid: string;
    try {
      kid = await ctx.keys.rotate();
    } catch (err) {
      throw new ApiError('CONFLICT', (err as Error).message);
    }
    ctx.logger.info({ kid, by: admin.user.username }, 'signing key rotated');
    return reply.code(201).send({ kid, keys: (await ctx.keys.publicJwks()).keys.flatMap((k) => (k.kid ? [k.kid] : [])) });
  });

  r.post('/api/auth/admin/invites', { schema: { tags: ['site admin'], summary: 'Create an invite code for invite-only sign-up (shown once)', body: NewInvite, response: { 201: Type.Object({ id: Type.String(), code: Type.String(), email: Type.Union([Type.String(), Type.Null()]), expiresAt: Type.String({ format: 'date-time' }) }) } } }, async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    const code = newSecret(secretPrefix.invite);
    const expiresAt = new Date(Date.now() + (request.body.expiresInDays ?? 7) * 86400_000);
    const id = await insertInvite(ctx.db, { codeHash: secretDigest(code), email: request.body.email, createdBy: admin.user.id, expiresAt });
    return reply.code(201).header('cache-control', 'no-store').send({ id, code, email: request.body.email ?? null, expiresAt: expiresAt.toISOString() });
  });
}
