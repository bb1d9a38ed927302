// /internal/auth/*: the other services' auth layers ask here whether a console session is live and
// what an access or robot token resolves to (service network only, x-internal-secret).
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireInternalSecret } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { createCredentialAuthority } from '../domain/credential-authority.ts';

const SessionQuestion = Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 128 }), touch: Type.Boolean() });
const TokenQuestion = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }), ip: Type.Optional(Type.String({ maxLength: 64 })) });

export async function internalRoutes(app: FastifyInstance, ctx: AuthContext, internalSecret: string | undefined): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const authority = createCredentialAuthority(ctx.db, ctx.settings);

  r.post('/internal/auth/session', { schema: { hide: true, body: SessionQuestion } }, async (request) => {
    requireInternalSecret(internalSecret, request.headers['x-internal-secret']);
    return authority.session(request.body.sessionId, request.body.touch);
  });

  r.post('/internal/auth/token', { schema: { hide: true, body: TokenQuestion } }, async (request) => {
    requireInternalSecret(internalSecret, request.headers['x-internal-secret']);
    return authority.token(request.body.token, request.body.ip);
  });
}
