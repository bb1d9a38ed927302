// /api/orgs/:org/teams: teams inside an organization, their members (maintainers and members) and
// the LDAP group whose members count as the team's.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { NAMESPACE_PATTERN } from '../domain/names.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import type { Viewer } from '../domain/viewer.ts';
import { deleteTeam, findTeam, insertTeam, listTeamMembers, listTeams, removeTeamMember, setTeamMember, teamRoleOf, updateTeam, type TeamRow } from '../store/teams.ts';
import { setOrgMember } from '../store/members.ts';
import { findUserByUsername } from '../store/users.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireUser, type UserViewer } from './http.ts';
import { NamespaceName, isOrgOwner, requireOrgOwner, requireOrganization } from './organizations.ts';

export const TeamName = Type.String({ minLength: 1, maxLength: 64, pattern: NAMESPACE_PATTERN });
const LdapGroup = Type.String({ minLength: 1, maxLength: 256, description: 'LDAP group (as the auth service reports it) whose members count as team members' });
const Role = Type.Union([Type.Literal('maintainer'), Type.Literal('member')]);
export const Team = Type.Object({
  organization: Type.String(),
  name: Type.String(),
  description: Type.String(),
  ldapGroup: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  memberCount: Type.Optional(Type.Integer()),
});
const TeamMember = Type.Object({ username: Type.String(), displayName: Type.String(), role: Role });
const TeamParams = Type.Object({ org: NamespaceName, team: TeamName });
const MemberParams = Type.Object({ org: NamespaceName, team: TeamName, username: NamespaceName });

export function teamJson(t: TeamRow & { member_count?: number }) {
  return {
    organization: t.organization,
    name: t.name,
    description: t.description,
    ldapGroup: t.ldap_group,
    createdAt: iso(t.created_at) as string,
    ...(t.member_count !== undefined ? { memberCount: Number(t.member_count) } : {}),
  };
}

function requireOrgMember(viewer: UserViewer, org: string): void {
  if (!viewer.siteAdmin && !viewer.orgRoles.has(org)) throw new ApiError('NOT_FOUND', `only members of ${org} see its teams`);
}

async function requireTeam(ctx: MetadataContext, org: string, name: string): Promise<TeamRow> {
  const team = await findTeam(ctx.db, org, name);
  if (!team) throw new ApiError('NOT_FOUND', `team ${org}/${name} not found`);
  return team;
}

/** Owners manage every team; a team's maintainers manage its members. */
async function mayManageMembers(ctx: MetadataContext, viewer: Viewer, team: TeamRow): Promise<boolean> {
  if (isOrgOwner(viewer, team.organization)) return true;
  return viewer.kind === 'user' && (await teamRoleOf(ctx.db, team.id, viewer.id)) === 'maintainer';
}

export async function teamRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/orgs/:org/teams',
    { schema: { tags: ['teams'], summary: 'Teams of an organization (members)', params: Type.Object({ org: NamespaceName }), querystring: Type.Object(PageQuery), response: { 200: PageOf(Team), 404: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgMember(viewer, org.name);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listTeams(ctx.db, { organization: org.name, after: after === undefined ? undefined : [org.name, after as string], limit });
      return pageOf(rows, limit, (t) => [t.name], teamJson);
    },
  );

  r.post(
    '/api/orgs/:org/teams',
    {
      schema: {
        tags: ['teams'],
        summary: 'Create a team (owners)',
        params: Type.Object({ org: NamespaceName }),
        body: Type.Object({ name: TeamName, description: Type.Optional(Type.String({ maxLength: 1000 })), ldapGroup: Type.Optional(LdapGroup) }, { additionalProperties: false }),
        response: { 201: Team, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const { name, description, ldapGroup } = request.body;
      const team = await inTransaction(ctx, viewer, async (trx, events) => {
        if (!(await insertTeam(trx, { id: randomUUID(), organization: org.name, name, description: description ?? '', ldapGroup }))) return undefined;
        events.add('metadata.team.created', { organization: org.name, team: name });
        return findTeam(trx, org.name, name);
      });
      if (!team) throw new ApiError('CONFLICT', `team ${org.name}/${name} exists`);
      reply.code(201);
      return teamJson({ ...team, member_count: 0 });
    },
  );

  r.get('/api/orgs/:org/teams/:team', { schema: { tags: ['teams'], summary: 'One team', params: TeamParams, response: { 200: Team, 404: ErrorReply } } }, async (request) => {
    const viewer = await requireUser(ctx, request);
    const org = await requireOrganization(ctx, request.params.org);
    requireOrgMember(viewer, org.name);
    const team = await requireTeam(ctx, org.name, request.params.team);
    const [row] = await listTeams(ctx.db, { ids: [team.id], limit: 1 });
    return teamJson(row ?? team);
  });

  r.patch(
    '/api/orgs/:org/teams/:team',
    {
      schema: {
        tags: ['teams'],
        summary: 'Rename a team, change its description or LDAP group (owners)',
        params: TeamParams,
        body: Type.Object({ name: Type.Optional(TeamName), description: Type.Optional(Type.String({ maxLength: 1000 })), ldapGroup: Type.Optional(Type.Union([LdapGroup, Type.Null()])) }, { additionalProperties: false }),
        response: { 200: Team, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgOwner(viewer, org.name);
      const team = await requireTeam(ctx, org.name, request.params.team);
      const { name, description, ldapGroup } = request.body;
      await inTransaction(ctx, viewer, async (trx, events) => {
        if (name !== undefined && name !== team.name && (await findTeam(trx, org.name, name))) throw new ApiError('CONFLICT', `team ${org.name}/${name} exists`);
        await updateTeam(trx, team.id, { name, description, ldapGroup });
        events.add('metadata.team.updated', { organization: org.name, team: name ?? team.name, ...(name !== undefined && name !== team.name ? { previousName: team.name } : {}) });
      });
      const [row] = await listTeams(ctx.db, { ids: [team.id], limit: 1 });
      return teamJson(row as TeamRow);
    },
  );

  r.delete('/api/orgs/:org/teams/:team', { schema: { tags: ['teams'], summary: 'Delete a team and its grants (owners)', params: TeamParams, response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply } } }, async (request, reply) => {
    const viewer = await requireUser(ctx, request);
    const org = await requireOrganization(ctx, request.params.org);
    requireOrgOwner(viewer, org.name);
    const team = await requireTeam(ctx, org.name, request.params.team);
    await inTransaction(ctx, viewer, async (trx, events) => {
      await deleteTeam(trx, team.id);
      events.add('metadata.team.deleted', { organization: org.name, team: team.name });
    });
    return reply.code(204).send(null);
  });

  r.get(
    '/api/orgs/:org/teams/:team/members',
    { schema: { tags: ['teams'], summary: 'Members of a team', params: TeamParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(TeamMember), 404: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgMember(viewer, org.name);
      const team = await requireTeam(ctx, org.name, request.params.team);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listTeamMembers(ctx.db, team.id, after as string | undefined, limit);
      return pageOf(rows, limit, (m) => [m.username], (m) => ({ username: m.username, displayName: m.display_name, role: m.role }));
    },
  );

  r.put(
    '/api/orgs/:org/teams/:team/members/:username',
    {
      schema: {
        tags: ['teams'],
        summary: 'Add a member or change their role (owners, team maintainers); they join the organization as a member if needed',
        params: MemberParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: { 200: TeamMember, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgMember(viewer, org.name);
      const team = await requireTeam(ctx, org.name, request.params.team);
      if (!(await mayManageMembers(ctx, viewer, team))) throw new ApiError('FORBIDDEN', `only owners of ${org.name} and maintainers of the team manage its members`);
      const user = await findUserByUsername(ctx.db, request.params.username);
      if (!user) throw new ApiError('NOT_FOUND', `user ${request.params.username} not found`);
      const role = request.body.role;
      await inTransaction(ctx, viewer, async (trx, events) => {
        const inOrg = await trx.withSchema('platform').selectFrom('org_members').select('role').where('organization', '=', org.name).where('user_id', '=', user.id).executeTakeFirst();
        if (!inOrg) {
          await setOrgMember(trx, org.name, user.id, 'member');
          events.add('metadata.organization.member-changed', { organization: org.name, username: user.username, role: 'member' });
        }
        await setTeamMember(trx, team.id, user.id, role);
        events.add('metadata.team.member-changed', { organization: org.name, team: team.name, username: user.username, role });
      });
      return { username: user.username, displayName: user.display_name, role };
    },
  );

  r.delete(
    '/api/orgs/:org/teams/:team/members/:username',
    { schema: { tags: ['teams'], summary: 'Remove a member (owners, maintainers, or the member themself)', params: MemberParams, response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply } } },
    async (request, reply) => {
      const viewer = await requireUser(ctx, request);
      const org = await requireOrganization(ctx, request.params.org);
      requireOrgMember(viewer, org.name);
      const team = await requireTeam(ctx, org.name, request.params.team);
      if (request.params.username !== viewer.username && !(await mayManageMembers(ctx, viewer, team))) {
        throw new ApiError('FORBIDDEN', `only owners of ${org.name} and maintainers of the team manage its members`);
      }
      const user = await findUserByUsername(ctx.db, request.params.username);
      if (!user) throw new ApiError('NOT_FOUND', `user ${request.params.username} not found`);
      await inTransaction(ctx, viewer, async (trx, events) => {
        if (!(await removeTeamMember(trx, team.id, user.id))) throw new ApiError('NOT_FOUND', `${user.username} is not in ${org.name}/${team.name}`);
        events.add('metadata.team.member-changed', { organization: org.name, team: team.name, username: user.username, role: null });
      });
      return reply.code(204).send(null);
    },
  );
}
