// The caller's dashboard: their repositories, their teams and the recent pushes into those
// repositories; /api/me/repositories is the full, paginated list.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MetadataContext } from '../context.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { listRepositories } from '../store/repositories.ts';
import { listTeams } from '../store/teams.ts';
import { recentPushes } from '../store/registry-view.ts';
import { ErrorReply, PageOf, PageQuery, iso, requireUser } from './http.ts';
import { Repository, repositoryJson } from './repositories.ts';
import { Team, teamJson } from './teams.ts';

const DASHBOARD_REPOSITORIES = 20;
const DASHBOARD_TEAMS = 50;
const DASHBOARD_PUSHES = 20;
const Push = Type.Object({ repository: Type.String(), tag: Type.String(), digest: Type.String(), at: Type.String(), by: Type.String() });
const Dashboard = Type.Object({
  /** The first repositories by name; more at /api/me/repositories (hasMore says so). */
  repositories: Type.Array(Repository),
  hasMoreRepositories: Type.Boolean(),
  teams: Type.Array(Team),
  recentPushes: Type.Array(Push),
});

export async function dashboardRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/dashboard', { schema: { tags: ['profiles'], summary: 'My repositories, my teams and recent pushes in them', response: { 200: Dashboard, 401: ErrorReply } } }, async (request) => {
    const viewer = await requireUser(ctx, request);
    const repos = await listRepositories(ctx.db, { viewer, mineOnly: true, limit: DASHBOARD_REPOSITORIES + 1 });
    const teams = await listTeams(ctx.db, { ids: viewer.teamIds, limit: DASHBOARD_TEAMS });
    const pushes = await recentPushes(ctx.db, viewer, DASHBOARD_PUSHES);
    return {
      repositories: repos.slice(0, DASHBOARD_REPOSITORIES).map((row) => repositoryJson(row)),
      hasMoreRepositories: repos.length > DASHBOARD_REPOSITORIES,
      teams: teams.slice(0, DASHBOARD_TEAMS).map(teamJson),
      recentPushes: pushes.map((p) => ({ repository: p.repository, tag: p.tag, digest: p.digest, at: iso(p.at) as string, by: p.actor })),
    };
  });

  r.get(
    '/api/me/repositories',
    { schema: { tags: ['profiles'], summary: 'Repositories I own or hold a grant on', querystring: Type.Object(PageQuery), response: { 200: PageOf(Repository), 401: ErrorReply } } },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const limit = pageLimit(request.query.limit, ctx.settings.maxPageSize);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listRepositories(ctx.db, { viewer, mineOnly: true, after: after as string | undefined, limit });
      return pageOf(rows, limit, (row) => [row.name], (row) => repositoryJson(row));
    },
  );
}
