// Who is looking: an anonymous caller, a user (with the organizations and teams that give them
// rights) or a robot account, resolved once per request from the caller's identity.
import type { Kysely } from '@docksphere/db';
import { orgRolesOfUser } from '../store/members.ts';
import { teamIdsOfUser } from '../store/teams.ts';

/** The identity a request carries (console token or /internal/access subject). */
export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: string; username: string; admin: boolean; groups: readonly string[] }
  | { kind: 'robot'; id: string; namespace: string; name: string };

export type Viewer =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      id: string;
      username: string;
      siteAdmin: boolean;
      /** Organization name -> role. */
      orgRoles: ReadonlyMap<string, 'owner' | 'member'>;
      /** Namespaces whose every repository the user administers: their own and the organizations they own. */
      ownedNamespaces: readonly string[];
      /** Teams the user is in, directly or through an LDAP group mapped to the team. */
      teamIds: readonly string[];
    }
  | { kind: 'robot'; id: string; namespace: string; name: string };

export const ANONYMOUS: Viewer = { kind: 'anonymous' };

export async function resolveViewer(db: Kysely<any>, identity: Identity): Promise<Viewer> {
  if (identity.kind === 'anonymous') return ANONYMOUS;
  if (identity.kind === 'robot') return { kind: 'robot', id: identity.id, namespace: identity.namespace, name: identity.name };
  const [orgRoles, teamIds] = await Promise.all([orgRolesOfUser(db, identity.id), teamIdsOfUser(db, identity.id, identity.groups)]);
  const ownedNamespaces = [identity.username, ...[...orgRoles].filter(([, role]) => role === 'owner').map(([org]) => org)];
  return { kind: 'user', id: identity.id, username: identity.username, siteAdmin: identity.admin, orgRoles, ownedNamespaces, teamIds };
}

/** The actor subject events carry for this viewer ("user:<id>", "robot:<id>", "anonymous"). */
export function actorOf(viewer: Viewer): { subject: string; name?: string } {
  if (viewer.kind === 'anonymous') return { subject: 'anonymous' };
  if (viewer.kind === 'user') return { subject: `user:${viewer.id}`, name: viewer.username };
  return { subject: `robot:${viewer.id}`, name: `${viewer.namespace}+${viewer.name}` };
}
