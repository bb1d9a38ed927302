// POST /internal/access: the auth service asks which actions a subject holds on the scopes it wants.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireInternalSecret } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { decideAccess, type AccessSubject } from '../domain/access.ts';

const Name = Type.String({ minLength: 1, maxLength: 255 });
const Action = Type.String({ minLength: 1, maxLength: 32 });
const AccessEntry = Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }), name: Name, actions: Type.Array(Action, { maxItems: 16 }) });

const Subject = Type.Union([
  Type.Object({ kind: Type.Literal('anonymous') }),
  Type.Object({
    kind: Type.Literal('user'),
    id: Type.String({ minLength: 1, maxLength: 128 }),
    username: Type.String({ minLength: 1, maxLength: 64 }),
    admin: Type.Boolean(),
    groups: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 500 }),
  }),
  Type.Object({
    kind: Type.Literal('robot'),
    id: Type.String({ minLength: 1, maxLength: 128 }),
    namespace: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    repositoryPatterns: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }),
    actions: Type.Array(Action, { maxItems: 16 }),
  }),
]);

const AccessRequest = Type.Object({ subject: Subject, requested: Type.Array(AccessEntry, { maxItems: 100 }) });
const AccessReply = Type.Object({ granted: Type.Array(AccessEntry) });

export async function accessRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/internal/access',
    {
      schema: {
        tags: ['internal'],
        summary: 'The actions a subject holds on the requested scopes (asked by the auth service)',
        body: AccessRequest,
        response: { 200: AccessReply },
      },
    },
    async (request) => {
      requireInternalSecret(ctx.internalSecret, request.headers['x-internal-secret']);
      return { granted: await decideAccess(ctx.db, request.body.subject as AccessSubject, request.body.requested) };
    },
  );
}
