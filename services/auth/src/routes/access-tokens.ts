// Personal access tokens: created with a name, scopes (pull/push/delete) and an optional expiry,
// shown once, stored as a digest, listed with last use, revoked.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { AccessToken, NoContent, Scope } from './schemas.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { newSecret, secretDigest, secretPrefix } from '../domain/secrets.ts';
import { accessTokenView, findAccessToken, insertAccessToken, listAccessTokens, revokeAccessToken, type TokenScope } from '../store/access-tokens.ts';
import { inTransaction, originOf, requirePrincipal, requireUser } from './http.ts';

const MAX_TOKENS_PER_USER = 200;
const MAX_EXPIRY_DAYS = 3650;

const NewToken = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f]+$' }),
  scopes: Type.Array(Scope, { minItems: 1, maxItems: 6, uniqueItems: true }),
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRY_DAYS })),
});
const TokenId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });

/** "dsp_Ab…yz": enough to recognise a token in a list, far too little to use it. */
export function hintOf(secret: string): string {
  return `${secret.slice(0, 8)}…${secret.slice(-4)}`;
}

export async function accessTokenRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/auth/tokens', { schema: { tags: ['access tokens'], summary: 'The caller\'s personal access tokens (never their secrets)', response: { 200: Type.Object({ tokens: Type.Array(AccessToken) }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    return { tokens: (await listAccessTokens(ctx.db, p.user.id)).map(accessTokenView) };
  });

  r.post('/api/auth/tokens', { schema: { tags: ['access tokens'], summary: 'Create a personal access token: the secret is in this answer only', body: NewToken, response: { 201: Type.Object({ token: Type.String({ description: 'the secret, shown once' }), accessToken: AccessToken }) } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    const { name, scopes, expiresInDays } = request.body;
    const existing = await listAccessTokens(ctx.db, p.user.id);
    if (existing.filter((t) => !t.revoked_at).length >= MAX_TOKENS_PER_USER) throw new ApiError('CONFLICT', `at most ${MAX_TOKENS_PER_USER} live access tokens per user`);
    const secret = newSecret(secretPrefix.accessToken);
    const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86400_000) : null;
    const row = await inTransaction(ctx, async (trx) => {
      const created = await insertAccessToken(trx, { userId: p.user.id, name: name.trim(), tokenHash: secretDigest(secret), hint: hintOf(secret), scopes: scopes as TokenScope[], expiresAt });
      await recordEvent(trx, 'auth.token.created', actor(`user:${p.user.id}`, p.user.username, originOf(request)), {
        tokenId: created.id,
        kind: 'access-token',
        name: created.name,
        owner: p.user.username,
        scopes: created.scopes,
        expiresAt: expiresAt?.toISOString(),
      });
      return created;
    });
    // The only time the secret leaves the server.
    return reply.code(201).header('cache-control', 'no-store').send({ token: secret, accessToken: accessTokenView(row) });
  });

  r.delete('/api/auth/tokens/:id', { schema: { tags: ['access tokens'], summary: 'Revoke a personal access token', params: TokenId, response: { 204: NoContent } } }, async (request, reply) => {
    // A token may revoke itself (a CLI's logout); any other token is managed from a console session.
    const principal = await request.principal();
    const self = principal.credential.kind === 'access-token' && principal.credential.tokenId === request.params.id;
    const p = self ? await requireUser(ctx, request) : await requirePrincipal(ctx, request);
    const token = await findAccessToken(ctx.db, p.user.id, request.params.id);
    if (!token) throw new ApiError('NOT_FOUND', 'no such access token');
    await inTransaction(ctx, async (trx) => {
      if (await revokeAccessToken(trx, token.id)) {
        await recordEvent(trx, 'auth.token.revoked', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { tokenId: token.id, kind: 'access-token', name: token.name, owner: p.user.username });
      }
    });
    return reply.code(204).send(null);
  });
}
