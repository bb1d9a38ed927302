// Grants: read/write/admin on one repository to a user or a team of its organization
// (/api/repositories/:repository/grants), and namespace-wide team grants over a name pattern
// (/api/orgs/:org/grants).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { parseGrantPattern } from '../domain/names.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { deleteGrant, listGrants, upsertPatternGrant, upsertRepositoryGrant, type GrantListRow } from '../store/grants.ts';
import { findTeam } from '../store/teams.ts';
import { findUserByUsername } from '../store/users.ts';
import { findNamespace } from '../store/namespaces.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireUser } from './http.ts';
import { NamespaceName, requireOrgOwner, requireOrganization } from './organizations.ts';
import { RepositoryParams, RepositoryName, readableRepository } from './repositories.ts';
import { TeamName } from './teams.ts';

const Level = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]);
const Grant = Type.Object({
  id: Type.String(),
  level: Level,
  grantee: Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('team')]), name: Type.String({ description: 'username, or team name inside the organization' }) }),
  repository: Type.Optional(Type.String()),
  pattern: Type.Optional(Type.String()),
  createdAt: Type.String(),
});
const GrantId = Type.String({ format: 'uuid' });

function grantJson(g: GrantListRow, repository?: string) {
  return {
    id: g.id,
    level: g.level,
    grantee: g.user_id ? { kind: 'user' as const, name: g.username ?? '' } : { kind: 'team' as const, name: g.team_name ?? '' },
    ...(repository ? { repository } : {}),
    ...(g.pattern ? { pattern: g.pattern } : {}),
    createdAt: iso(g.created_at) as string,
  };
}

export async function grantRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/repositories/:repository/grants',
    { schema: { tags: ['permissions'], summary: 'Grants on a repository (admin)', params: RepositoryParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(Grant), 403: ErrorReply, 404: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listGrants(ctx.db, { repositoryId: repository.id, after: after as string | undefined, limit });
      return pageOf(rows, limit, (g) => [g.id], (g) => grantJson(g, repository.name));
    },
  );

  r.put(
    '/api/repositories/:repository/grants',
    {
      schema: {
        tags: ['permissions'],
        summary: 'Grant (or change) a level on the repository to a user or to a team of its organization (admin)',
        params: RepositoryParams,
        body: Type.Union([
          Type.Object({ user: NamespaceName, level: Level }, { additionalProperties: false }),
          Type.Object({ team: TeamName, level: Level }, { additionalProperties: false }),
        ]),
        response: { 200: Grant, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      const body = request.body as { user?: string; team?: string; level: 'read' | 'write' | 'admin' };
      let userId: string | undefined;
      let teamId: string | undefined;
      let granteeName: string;
      if (body.user !== undefined) {
        const user = await findUserByUsername(ctx.db, body.user);
        if (!user) throw new ApiError('NOT_FOUND', `user ${body.user} not found`);
        userId = user.id;
        granteeName = user.username;
      } else {
        const ns = await findNamespace(ctx.db, repository.namespace);
        if (ns?.kind !== 'org') throw new ApiError('VALIDATION_FAILED', 'teams exist only in organizations: grant to users here', { field: 'team' });
        const team = await findTeam(ctx.db, repository.namespace, body.team as string);
        if (!team) throw new ApiError('NOT_FOUND', `team ${repository.namespace}/${body.team} not found`);
        teamId = team.id;
        granteeName = team.name;
      }
      const grant = await inTransaction(ctx, viewer, async (trx, events) => {
        const row = await upsertRepositoryGrant(trx, { id: randomUUID(), namespace: repository.namespace, repositoryId: repository.id, userId, teamId, level: body.level, createdBy: viewer.username });
        events.add('metadata.permission.changed', { namespace: repository.namespace, repository: repository.name, grantee: { kind: userId ? 'user' : 'team', name: granteeName }, level: body.level });
        return row;
      });
      return grantJson({ ...grant, username: userId ? granteeName : null, team_name: teamId ? granteeName : null, team_organization: teamId ? repository.namespace : null }, repository.name);
    },
  );

  r.delete(
    '/api/repositories/:repository/grants/:id',
    {
      schema: { tags: ['permissions'], summary: 'Revoke a grant (admin)', params: Type.Object({ repository: RepositoryName, id: GrantId }), response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply } },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'admin');
      const [grant] = await listGrants(ctx.db, { id: request.params.id, repositoryId: repository.id, limit: 1 });
      if (!grant) throw new ApiError('NOT_FOUND', 'grant not found');
      await inTransaction(ctx, viewer, async (trx, events) => {
        await deleteGrant(trx, grant.id);
        events.add('metadata.permission.changed', {
          namespace: repository.namespace,
          repository: repository.name,
          grantee: grant.user_id ? { kind: 'user', name: grant.username ?? '' } : { kind: 'team', name: grant.team_name ?? '' },
          level: null,
        });
      });
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/orgs/:org/grants',
    { schema: { tags: ['permissions'], summary: 'Namespace-wide team grants of an organization (owners)', params: Type.Object({ org: NamespaceName }), querystring: Type.Object(PageQuery), response: { 200: PageOf(Grant), 403: ErrorReply, 404: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listGrants(ctx.db, { patternsOf: org.name, after: after as string | undefined, limit });
      return pageOf(rows, limit, (g) => [g.id], (g) => grantJson(g));
    },
  );

  r.put(
    '/api/orgs/:org/grants',
    {
      schema: {
        tags: ['permissions'],
        summary: 'Grant (or change) a team\'s level on every repository matching a pattern ("*", "org/img/*", "org/app") (owners)',
        params: Type.Object({ org: NamespaceName }),
        body: Type.Object({ team: TeamName, pattern: Type.String({ minLength: 1, maxLength: 255 }), level: Level }, { additionalProperties: false }),
        response: { 200: Grant, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const pattern = parseGrantPattern(org.name, request.body.pattern);
      if (typeof pattern === 'string') throw new ApiError('VALIDATION_FAILED', pattern, { field: 'pattern' });
      const team = await findTeam(ctx.db, org.name, request.body.team);
      if (!team) throw new ApiError('NOT_FOUND', `team ${org.name}/${request.body.team} not found`);
      const grant = await inTransaction(ctx, viewer, async (trx, events) => {
        const row = await upsertPatternGrant(trx, { id: randomUUID(), namespace: org.name, pattern: pattern.pattern, exact: pattern.exact, prefix: pattern.prefix, teamId: team.id, level: request.body.level, createdBy: viewer.username });
        events.add('metadata.permission.changed', { namespace: org.name, pattern: pattern.pattern, grantee: { kind: 'team', name: team.name }, level: request.body.level });
        return row;
      });
      return grantJson({ ...grant, username: null, team_name: team.name, team_organization: org.name });
    },
  );

  r.delete(
    '/api/orgs/:org/grants/:id',
    { schema: { tags: ['permissions'], summary: 'Revoke a namespace-wide grant (owners)', params: Type.Object({ org: NamespaceName, id: GrantId }), response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply } } },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const [grant] = await listGrants(ctx.db, { id: request.params.id, patternsOf: org.name, limit: 1 });
      if (!grant) throw new ApiError('NOT_FOUND', 'grant not found');
      await inTransaction(ctx, viewer, async (trx, events) => {
        await deleteGrant(trx, grant.id);
        events.add('metadata.permission.changed', { namespace: org.name, pattern: grant.pattern as string, grantee: { kind: 'team', name: grant.team_name ?? '' }, level: null });
      });
      return reply.code(204).send(null);
    },
  );
}
