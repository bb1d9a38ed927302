// The permission rules (docs/permissions.md is the same table in prose): which level a viewer holds
// on a repository, or would hold on one it creates by pushing. Private means invisible: callers
// answer "not found" where the viewer may not read.
import type { Kysely } from '@docksphere/db';
import { ApiError } from '@docksphere/kit';
import { findNamespace, type NamespaceRow } from '../store/namespaces.ts';
import { findRepository, type RepositoryRow } from '../store/repositories.ts';
import { grantsForUser } from '../store/grants.ts';
import { atLeast, highest, type Level } from './levels.ts';
import { patternMatches, splitRepositoryName } from './names.ts';
import type { Viewer } from './viewer.ts';

export interface RepositoryPermission {
  name: string;
  repository: RepositoryRow | undefined;
  /** The namespace the name lives in (undefined when it does not exist: nothing can be created there). */
  namespace: NamespaceRow | undefined;
  /** The level held on the repository, or the level the viewer would hold on it right after creating it. */
  level: Level | undefined;
  /** A site admin: every action, the registry's "*". */
  siteAdmin: boolean;
  /** The repository does not exist and the viewer may create it (by push or the API). */
  mayCreate: boolean;
}

export async function permissionOn(db: Kysely<any>, viewer: Viewer, name: string): Promise<RepositoryPermission> {
  const none: RepositoryPermission = { name, repository: undefined, namespace: undefined, level: undefined, siteAdmin: false, mayCreate: false };
  const split = splitRepositoryName(name);
  // Nothing lives outside a namespace: such names are not granted to anyone, not even site admins.
  if (!split) return none;
  const [namespace, repository] = await Promise.all([findNamespace(db, split.namespace), findRepository(db, name)]);
  if (!namespace && !repository) return none;
  const result: RepositoryPermission = { ...none, namespace, repository };
  if (repository?.visibility === 'public') result.level = 'read';
  if (viewer.kind === 'anonymous') return result;

  if (viewer.kind === 'robot') {
    // A robot acts for its namespace; the auth service narrows it to the robot's own patterns and actions.
    if (split.namespace === viewer.namespace && namespace) result.level = 'admin';
  } else {
    if (viewer.siteAdmin) {
      result.siteAdmin = true;
      result.level = 'admin';
    }
    if (namespace && viewer.ownedNamespaces.includes(namespace.name)) result.level = 'admin';
    if (namespace && !atLeast(result.level, 'admin')) {
      const grants = await grantsForUser(db, viewer.id, viewer.teamIds, repository?.id, namespace.name);
      for (const g of grants) {
        const applies = g.repository_id !== null ? g.repository_id === repository?.id : patternMatches({ exact: g.match_exact, prefix: g.match_prefix }, name);
        if (applies) result.level = highest(result.level, g.level);
      }
    }
  }
  if (!repository && namespace) {
    const orgMember = viewer.kind === 'user' && namespace.kind === 'org' && viewer.orgRoles.has(namespace.name);
    const membersMayCreate = orgMember && namespace.repository_creation === 'members';
    result.mayCreate = atLeast(result.level, 'write') || membersMayCreate;
    if (membersMayCreate) result.level = highest(result.level, 'write');
  }
  return result;
}

export function notFound(name: string): ApiError {
  return new ApiError('NOT_FOUND', `repository ${name} not found`);
}

/**
 * The repository if the viewer holds `needed` on it. A repository the viewer may not read does not
 * exist for them (404); one they can read but not change is a 403.
 */
export async function requireRepository(db: Kysely<any>, viewer: Viewer, name: string, needed: Level): Promise<{ repository: RepositoryRow; permission: RepositoryPermission }> {
  const permission = await permissionOn(db, viewer, name);
  const repository = permission.repository;
  if (!repository || !atLeast(permission.level, 'read')) throw notFound(name);
  if (!atLeast(permission.level, needed)) throw new ApiError('FORBIDDEN', `this needs ${needed} permission on ${name}`);
  return { repository, permission };
}
