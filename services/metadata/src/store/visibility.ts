// "Private means invisible" in SQL: the condition a repository row (alias r) must meet for the
// viewer to read it. Mirrors domain/permissions.ts; the permission table tests hold both to it.
import type { ExpressionBuilder, Expression, SqlBool } from 'kysely';
import { sql } from '@docksphere/db';
import type { Viewer } from '../domain/viewer.ts';

export function readableBy(eb: ExpressionBuilder<any, any>, viewer: Viewer, options: { mineOnly?: boolean } = {}): Expression<SqlBool> {
  // mineOnly: what the viewer holds through ownership or grants, not what is open to everyone.
  const isPublic = options.mineOnly ? sql<SqlBool>`false` : eb('r.visibility', '=', 'public');
  if (viewer.kind === 'anonymous') return isPublic;
  if (viewer.kind === 'robot') return eb.or([isPublic, eb('r.namespace', '=', viewer.namespace)]);
  if (viewer.siteAdmin && !options.mineOnly) return sql<SqlBool>`true`;
  const teamIds = [...viewer.teamIds];
  const grantee = (g: string) =>
    teamIds.length > 0 ? eb.or([eb(`${g}.user_id`, '=', viewer.id), eb(`${g}.team_id`, 'in', teamIds)]) : eb(`${g}.user_id`, '=', viewer.id);
  const conditions: Expression<SqlBool>[] = [
    isPublic,
    eb('r.namespace', 'in', [...viewer.ownedNamespaces]),
    eb.exists(eb.selectFrom('grants as g').select('g.id').whereRef('g.repository_id', '=', 'r.id').where(grantee('g'))),
  ];
  if (teamIds.length > 0) {
    conditions.push(
      eb.exists(
        eb
          .selectFrom('grants as p')
          .select('p.id')
          .whereRef('p.namespace', '=', 'r.namespace')
          .where('p.pattern', 'is not', null)
          .where('p.team_id', 'in', teamIds)
          .where((w) =>
            w.or([
              w('p.match_exact', '=', w.ref('r.name')),
              w.and([w('p.match_prefix', 'is not', null), sql<SqlBool>`left(r.name, length(p.match_prefix)) = p.match_prefix and length(r.name) > length(p.match_prefix)`]),
            ]),
          ),
      ),
    );
  }
  return eb.or(conditions);
}
