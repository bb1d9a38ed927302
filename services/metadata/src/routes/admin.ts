// /api/admin: site admins list and search users, organizations, teams and repositories, remove
// users (their repositories transferred or removed), and read site statistics. Disabling accounts
// and the site-admin role are the auth service's (/api/auth/admin/users); metadata follows its events.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { removeUser } from '../domain/users.ts';
import { findNamespace, listOrganizations, type NamespaceRow } from '../store/namespaces.ts';
import { listRepositories } from '../store/repositories.ts';
import { listTeams } from '../store/teams.ts';
import { findUserByUsername, listUsers } from '../store/users.ts';
import { siteStats } from '../store/registry-view.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireSiteAdmin } from './http.ts';
import { NamespaceName } from './organizations.ts';
import { Repository, repositoryJson } from './repositories.ts';
import { Team, teamJson } from './teams.ts';

const AdminUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  siteAdmin: Type.Boolean(),
  disabled: Type.Boolean(),
  repositoryCount: Type.Integer(),
  firstSeen: Type.String(),
});
const AdminOrganization = Type.Object({ name: Type.String(), displayName: Type.String(), memberCount: Type.Integer(), repositoryCount: Type.Integer(), createdAt: Type.String() });
const Stats = Type.Object({
  repositories: Type.Integer(),
  publicRepositories: Type.Integer(),
  organizations: Type.Integer(),
  users: Type.Integer(),
  teams: Type.Integer(),
  storageBytes: Type.Integer({ description: 'logical bytes of all images (before blob de-duplication across repositories)' }),
  days: Type.Array(Type.Object({ day: Type.String(), pushes: Type.Integer(), pulls: Type.Integer() })),
});
const Search = Type.Optional(Type.String({ maxLength: 100 }));

export async function adminRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get('/api/admin/users', { schema: { tags: ['admin'], summary: 'Users, searchable by name', querystring: Type.Object({ ...PageQuery, q: Search }), response: { 200: PageOf(AdminUser), 403: ErrorReply } } }, async (request) => {
    await requireSiteAdmin(ctx, request);
    const limit = pageLimit(request.query.limit, max);
    const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
    const rows = await listUsers(ctx.db, { q: request.query.q, after: after as string | undefined, limit });
    return pageOf(rows, limit, (u) => [u.username], (u) => ({
      id: u.id,
      username: u.username,
      displayName: u.display_name,
      siteAdmin: u.admin,
      disabled: u.disabled,
      repositoryCount: Number(u.repository_count),
      firstSeen: iso(u.created_at) as string,
    }));
  });

  r.delete(
    '/api/admin/users/:username',
    {
      schema: {
        tags: ['admin'],
        summary: 'Remove a user from the platform: their repositories are transferred to another namespace or removed (delete the account itself in auth)',
        params: Type.Object({ username: NamespaceName }),
        querystring: Type.Object({ repositories: Type.Union([Type.Literal('transfer'), Type.Literal('remove')]), to: Type.Optional(NamespaceName), confirm: Type.String({ maxLength: 64 }) }),
        response: { 204: Type.Null(), 400: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireSiteAdmin(ctx, request);
      const { username } = request.params;
      const { repositories, to, confirm } = request.query;
      if (confirm !== username) throw new ApiError('VALIDATION_FAILED', 'confirm must repeat the username', { field: 'confirm' });
      if (username === viewer.username) throw new ApiError('CONFLICT', 'you cannot remove yourself');
      const user = await findUserByUsername(ctx.db, username);
      if (!user) throw new ApiError('NOT_FOUND', `user ${username} not found`);
      let target: NamespaceRow | undefined;
      if (repositories === 'transfer') {
        if (!to) throw new ApiError('VALIDATION_FAILED', 'repositories=transfer needs to=<namespace>', { field: 'to' });
        if (to === username) throw new ApiError('VALIDATION_FAILED', 'transfer to another namespace', { field: 'to' });
        target = await findNamespace(ctx.db, to);
        if (!target) throw new ApiError('NOT_FOUND', `namespace ${to} not found`);
      }
      await inTransaction(ctx, viewer, async (trx, events) => {
        const result = await removeUser(trx, events, user, target ? { repositories: 'transfer', to: target } : { repositories: 'remove' });
        if (result.conflicts.length > 0) throw new ApiError('CONFLICT', `${to} already has ${result.conflicts.join(', ')}`, { conflicts: result.conflicts });
      });
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/admin/organizations',
    { schema: { tags: ['admin'], summary: 'All organizations, searchable by name', querystring: Type.Object({ ...PageQuery, q: Search }), response: { 200: PageOf(AdminOrganization), 403: ErrorReply } } },
    async (request) => {
      await requireSiteAdmin(ctx, request);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listOrganizations(ctx.db, { q: request.query.q, after: after as string | undefined, limit });
      return pageOf(rows, limit, (o) => [o.name], (o) => ({ name: o.name, displayName: o.display_name, memberCount: Number(o.member_count), repositoryCount: Number(o.repository_count), createdAt: iso(o.created_at) as string }));
    },
  );

  r.get('/api/admin/teams', { schema: { tags: ['admin'], summary: 'All teams of all organizations', querystring: Type.Object(PageQuery), response: { 200: PageOf(Team), 403: ErrorReply } } }, async (request) => {
    await requireSiteAdmin(ctx, request);
    const limit = pageLimit(request.query.limit, max);
    const after = decodeCursor(request.query.cursor, ['string', 'string']) as [string, string] | undefined;
    const rows = await listTeams(ctx.db, { after, limit });
    return pageOf(rows, limit, (t) => [t.organization, t.name], teamJson);
  });

  r.get(
    '/api/admin/repositories',
    { schema: { tags: ['admin'], summary: 'All repositories, private ones included, searchable by name or description', querystring: Type.Object({ ...PageQuery, q: Search }), response: { 200: PageOf(Repository), 403: ErrorReply } } },
    async (request) => {
      const viewer = await requireSiteAdmin(ctx, request);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listRepositories(ctx.db, { viewer, q: request.query.q, after: after as string | undefined, limit });
      return pageOf(rows, limit, (row) => [row.name], (row) => repositoryJson(row));
    },
  );

  r.get('/api/admin/stats', { schema: { tags: ['admin'], summary: 'Site statistics and pushes/pulls per day', querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }), response: { 200: Stats, 403: ErrorReply } } }, async (request) => {
    await requireSiteAdmin(ctx, request);
    return siteStats(ctx.db, request.query.days ?? 30);
  });
}
