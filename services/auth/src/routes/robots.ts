// Robot accounts: CI credentials owned by a namespace, limited to repository patterns inside it
// and to chosen actions. Until namespaces live in metadata, a user owns the namespace of their
// username; site admins manage any namespace.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { NoContent, Robot, Scope } from './schemas.ts';
import { actor, recordEvent } from '../domain/events.ts';
import { isValidRepositoryPattern, patternWithinNamespace } from '../domain/repository-patterns.ts';
import { newSecret, secretDigest, secretPrefix } from '../domain/secrets.ts';
import { USERNAME_PATTERN } from '../domain/usernames.ts';
import { findRobot, insertRobot, listRobots, revokeRobot, robotView } from '../store/robots.ts';
import type { TokenScope } from '../store/access-tokens.ts';
import { hintOf } from './access-tokens.ts';
import { inTransaction, originOf, requirePrincipal } from './http.ts';
import type { Principal } from '../domain/console-sessions.ts';

const Namespace = Type.String({ minLength: 2, maxLength: 64, pattern: USERNAME_PATTERN });
const RobotName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9]+(?:[._-][a-z0-9]+)*$' });
const NewRobot = Type.Object({
  name: RobotName,
  description: Type.Optional(Type.String({ maxLength: 500 })),
  repositories: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 }),
  actions: Type.Array(Scope, { minItems: 1, maxItems: 3, uniqueItems: true }),
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
});

function assertOwns(p: Principal, namespace: string): void {
  if (!p.user.is_admin && p.user.username !== namespace) throw new ApiError('FORBIDDEN', `you cannot manage robots of namespace "${namespace}"`);
}

export async function robotRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/auth/namespaces/:namespace/robots', { schema: { tags: ['robots'], summary: 'The robot accounts of a namespace', params: Type.Object({ namespace: Namespace }), response: { 200: Type.Object({ robots: Type.Array(Robot) }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    assertOwns(p, request.params.namespace);
    return { robots: (await listRobots(ctx.db, request.params.namespace)).map(robotView) };
  });

  r.post('/api/auth/namespaces/:namespace/robots', { schema: { tags: ['robots'], summary: 'Create a robot account: its token is in this answer only', params: Type.Object({ namespace: Namespace }), body: NewRobot, response: { 201: Type.Object({ token: Type.String({ description: 'the secret, shown once' }), robot: Robot }) } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    const { namespace } = request.params;
    assertOwns(p, namespace);
    const { name, description, repositories, actions, expiresInDays } = request.body;
    const bad = repositories.find((pat) => !isValidRepositoryPattern(pat) || !patternWithinNamespace(pat, namespace));
    if (bad !== undefined) throw new ApiError('VALIDATION_FAILED', `repository pattern "${bad}" must be "${namespace}/<name>" or "${namespace}/<prefix>/*"`);
    const secret = newSecret(secretPrefix.robotToken);
    const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86400_000) : null;
    const robot = await inTransaction(ctx, async (trx) => {
      const res = await insertRobot(trx, {
        namespace,
        name,
        description: description ?? '',
        tokenHash: secretDigest(secret),
        hint: hintOf(secret),
        patterns: [...new Set(repositories)],
        actions: actions as TokenScope[],
        createdBy: p.user.id,
        expiresAt,
      });
      if (!res.created) throw new ApiError('CONFLICT', `robot "${name}" already exists in "${namespace}"`);
      await recordEvent(trx, 'auth.token.created', actor(`user:${p.user.id}`, p.user.username, originOf(request)), {
        tokenId: res.robot.id,
        kind: 'robot',
        name: `${namespace}+${name}`,
        owner: namespace,
        scopes: res.robot.actions,
        expiresAt: expiresAt?.toISOString(),
      });
      return res.robot;
    });
    return reply.code(201).header('cache-control', 'no-store').send({ token: secret, robot: robotView(robot) });
  });

  r.delete('/api/auth/namespaces/:namespace/robots/:name', { schema: { tags: ['robots'], summary: 'Revoke a robot account', params: Type.Object({ namespace: Namespace, name: RobotName }), response: { 204: NoContent } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    const { namespace, name } = request.params;
    assertOwns(p, namespace);
    const robot = await findRobot(ctx.db, namespace, name);
    if (!robot) throw new ApiError('NOT_FOUND', 'no such robot');
    await inTransaction(ctx, async (trx) => {
      await revokeRobot(trx, robot.id);
      await recordEvent(trx, 'auth.token.revoked', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { tokenId: robot.id, kind: 'robot', name: `${namespace}+${name}`, owner: namespace });
    });
    return reply.code(204).send(null);
  });
}
