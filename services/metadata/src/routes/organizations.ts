// /api/namespaces and /api/orgs: look up a namespace, create and manage organizations and their members.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { NAMESPACE_PATTERN, namespaceProblem } from '../domain/names.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import type { Viewer } from '../domain/viewer.ts';
import { deleteNamespace, findNamespace, insertOrganization, listOrganizations, updateOrganization, type NamespaceRow, type OrganizationListRow } from '../store/namespaces.ts';
import { countOwners, listOrgMembers, removeOrgMember, setOrgMember } from '../store/members.ts';
import { findUserByUsername } from '../store/users.ts';
import { repositoriesInNamespace } from '../store/repositories.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireUser, viewerOf } from './http.ts';

export const NamespaceName = Type.String({ minLength: 2, maxLength: 64, pattern: NAMESPACE_PATTERN });
const Creation = Type.Union([Type.Literal('owners'), Type.Literal('members')], { description: 'who may create repositories (API or first push): owners only, or every member' });
const DisplayName = Type.String({ maxLength: 100 });
const Description = Type.String({ maxLength: 1000 });

const Namespace = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('org')]),
  displayName: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
});
const Organization = Type.Object({
  name: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  repositoryCreation: Creation,
  createdAt: Type.String(),
  memberCount: Type.Optional(Type.Integer()),
  repositoryCount: Type.Optional(Type.Integer()),
  /** The caller's role, when a member. */
  role: Type.Optional(Type.Union([Type.Literal('owner'), Type.Literal('member')])),
});
const Member = Type.Object({ username: Type.String(), displayName: Type.String(), role: Type.Union([Type.Literal('owner'), Type.Literal('member')]), since: Type.String() });
const OrgParams = Type.Object({ org: NamespaceName });

function organizationJson(row: NamespaceRow | OrganizationListRow, viewer: Viewer) {
  const counts = 'member_count' in row ? { memberCount: Number(row.member_count), repositoryCount: Number(row.repository_count) } : {};
  const role = viewer.kind === 'user' ? viewer.orgRoles.get(row.name) : undefined;
  return {
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    repositoryCreation: row.repository_creation,
    createdAt: iso(row.created_at) as string,
    ...counts,
    ...(role ? { role } : {}),
  };
}

/** The organization, if it exists (organizations are public: their names show in repository names). */
export async function requireOrganization(ctx: MetadataContext, name: string): Promise<NamespaceRow> {
  const ns = await findNamespace(ctx.db, name);
  if (!ns || ns.kind !== 'org') throw new ApiError('NOT_FOUND', `organization ${name} not found`);
  return ns;
}

export function isOrgOwner(viewer: Viewer, org: string): boolean {
  return viewer.kind === 'user' && (viewer.siteAdmin || viewer.orgRoles.get(org) === 'owner');
}

export function requireOrgOwner(viewer: Viewer, org: string): void {
  if (!isOrgOwner(viewer, org)) throw new ApiError('FORBIDDEN', `only an owner of ${org} may do this`);
}

export async function organizationRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/namespaces/:namespace',
    { schema: { tags: ['namespaces'], summary: 'A user or organization namespace', params: Type.Object({ namespace: NamespaceName }), response: { 200: Namespace, 404: ErrorReply } } },
    async (request) => {
      await viewerOf(ctx, request);
      const ns = await findNamespace(ctx.db, request.params.namespace);
      if (!ns) throw new ApiError('NOT_FOUND', `namespace ${request.params.namespace} not found`);
      return { name: ns.name, kind: ns.kind, displayName: ns.display_name, description: ns.description, createdAt: iso(ns.created_at) as string };
    },
  );

  r.post(
    '/api/orgs',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization; the caller becomes its owner',
        body: Type.Object({ name: Type.String({ maxLength: 64 }), displayName: Type.Optional(DisplayName), description: Type.Optional(Description), repositoryCreation: Type.Optional(Creation) }, { additionalProperties: false }),
        response: { 201: Organization, 400: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const body = request.body;
      const problem = namespaceProblem(body.name);
      if (problem) throw new ApiError('VALIDATION_FAILED', problem, { field: 'name' });
      const created = await inTransaction(ctx, viewer, async (trx, events) => {
        const ok = await insertOrganization(trx, { name: body.name, displayName: body.displayName ?? '', description: body.description ?? '', repositoryCreation: body.repositoryCreation ?? 'members' });
        if (!ok) return undefined;
        await setOrgMember(trx, body.name, viewer.id, 'owner');
        events.add('metadata.organization.created', { organization: body.name });
        events.add('metadata.organization.member-changed', { organization: body.name, username: viewer.username, role: 'owner' });
        return findNamespace(trx, body.name);
      });
      if (!created) throw new ApiError('CONFLICT', `the name ${body.name} is taken`);
      reply.code(201);
      return { ...organizationJson(created, viewer), role: 'owner' as const };
    },
  );

  r.get(
    '/api/orgs',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Organizations by name; mine=true lists those the caller belongs to',
        querystring: Type.Object({ ...PageQuery, mine: Type.Optional(Type.Boolean()), q: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: PageOf(Organization) },
      },
    },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      if (request.query.mine && viewer.kind !== 'user') throw new ApiError('UNAUTHORIZED', 'log in first');
      const rows = await listOrganizations(ctx.db, { memberOf: request.query.mine && viewer.kind === 'user' ? viewer.id : undefined, q: request.query.q, after: after as string | undefined, limit });
      return pageOf(rows, limit, (row) => [row.name], (row) => organizationJson(row, viewer));
    },
  );

  r.get('/api/orgs/:org', { schema: { tags: ['organizations'], summary: 'One organization', params: OrgParams, response: { 200: Organization, 404: ErrorReply } } }, async (request) => {
    const viewer = await viewerOf(ctx, request);
    const org = await requireOrganization(ctx, request.params.org);
    const [row] = await listOrganizations(ctx.db, { name: org.name, limit: 1 });
    return organizationJson(row ?? org, viewer);
  });

  r.patch(
    '/api/orgs/:org',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Change an organization (owners)',
        params: OrgParams,
        body: Type.Object({ displayName: Type.Optional(DisplayName), description: Type.Optional(Description), repositoryCreation: Type.Optional(Creation) }, { additionalProperties: false }),
        response: { 200: Organization, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      await updateOrganization(ctx.db, org.name, request.body);
      return organizationJson((await findNamespace(ctx.db, org.name)) as NamespaceRow, viewer);
    },
  );

  r.delete(
    '/api/orgs/:org',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Delete an empty organization (owners); ?confirm= must repeat its name',
        params: OrgParams,
        querystring: Type.Object({ confirm: Type.String({ maxLength: 64 }) }),
        response: { 204: Type.Null(), 400: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      if (request.query.confirm !== org.name) throw new ApiError('VALIDATION_FAILED', 'confirm must repeat the organization name', { field: 'confirm' });
      await inTransaction(ctx, viewer, async (trx, events) => {
        const repositories = await repositoriesInNamespace(trx, org.name);
        if (repositories.length > 0) throw new ApiError('CONFLICT', `${org.name} still has ${repositories.length} repositories: delete or transfer them first`);
        await deleteNamespace(trx, org.name);
        events.add('metadata.organization.deleted', { organization: org.name });
      });
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/orgs/:org/members',
    { schema: { tags: ['organizations'], summary: 'Members of an organization (members and site admins)', params: OrgParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(Member), 404: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      if (!viewer.siteAdmin && !viewer.orgRoles.has(org.name)) throw new ApiError('FORBIDDEN', `only members of ${org.name} see its members`);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listOrgMembers(ctx.db, org.name, after as string | undefined, limit);
      return pageOf(rows, limit, (m) => [m.username], (m) => ({ username: m.username, displayName: m.display_name, role: m.role, since: iso(m.created_at) as string }));
    },
  );

  r.put(
    '/api/orgs/:org/members/:username',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Add a member or change their role (owners)',
        params: Type.Object({ org: NamespaceName, username: NamespaceName }),
        body: Type.Object({ role: Type.Union([Type.Literal('owner'), Type.Literal('member')]) }, { additionalProperties: false }),
        response: { 200: Member, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const user = await findUserByUsername(ctx.db, request.params.username);
      if (!user) throw new ApiError('NOT_FOUND', `user ${request.params.username} not found`);
      const role = request.body.role;
      await inTransaction(ctx, viewer, async (trx, events) => {
        const roles = await listOrgMembers(trx, org.name, undefined, 100_000);
        const current = roles.find((m) => m.user_id === user.id)?.role;
        if (current === 'owner' && role !== 'owner' && (await countOwners(trx, org.name)) <= 1) throw new ApiError('CONFLICT', 'an organization keeps at least one owner');
        await setOrgMember(trx, org.name, user.id, role);
        if (current !== role) events.add('metadata.organization.member-changed', { organization: org.name, username: user.username, role });
      });
      return { username: user.username, displayName: user.display_name, role, since: new Date().toISOString() };
    },
  );

  r.delete(
    '/api/orgs/:org/members/:username',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Remove a member (owners), or leave (the member themself)',
        params: Type.Object({ org: NamespaceName, username: NamespaceName }),
        response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      if (request.params.username !== viewer.username) requireOrgOwner(viewer, org.name);
      const user = await findUserByUsername(ctx.db, request.params.username);
      if (!user) throw new ApiError('NOT_FOUND', `user ${request.params.username} not found`);
      await inTransaction(ctx, viewer, async (trx, events) => {
        const wasOwner = (await listOrgMembers(trx, org.name, undefined, 100_000)).some((m) => m.user_id === user.id && m.role === 'owner');
        if (wasOwner && (await countOwners(trx, org.name)) <= 1) throw new ApiError('CONFLICT', 'an organization keeps at least one owner');
        if (!(await removeOrgMember(trx, org.name, user.id))) throw new ApiError('NOT_FOUND', `${user.username} is not a member of ${org.name}`);
        events.add('metadata.organization.member-changed', { organization: org.name, username: user.username, role: null });
      });
      return reply.code(204).send(null);
    },
  );
}
