// Answers the auth service's question: given a subject and the scopes it asks for, which actions it
// holds. The auth service intersects the answer with what was asked and the credential's own limits.
import type { AccessEntry, Subject } from '@docksphere/access';
import type { AccessDecider } from '@docksphere/kit';
import type { Kysely } from '@docksphere/db';
import { ACTIONS_OF } from './levels.ts';
import { permissionOn } from './permissions.ts';
import { resolveViewer, type Viewer } from './viewer.ts';
import { rememberUser } from '../store/users.ts';
import { ensureUserNamespace } from '../store/namespaces.ts';

/** The subject the auth service sends (robots' patterns and actions are applied there). */
export type AccessSubject = Subject;

function isRepository(type: string): boolean {
  return type === 'repository' || type.startsWith('repository(');
}

/** Learns the user from the subject (it is the freshest word on admin and LDAP groups), then resolves it. */
async function viewerForSubject(db: Kysely<any>, subject: AccessSubject): Promise<Viewer | undefined> {
  if (subject.kind === 'anonymous') return { kind: 'anonymous' };
  if (subject.kind === 'robot') return resolveViewer(db, subject);
  const { user } = await rememberUser(db, { id: subject.id, username: subject.username, admin: subject.admin, ldapGroups: subject.groups });
  if (user.disabled) return undefined;
  await ensureUserNamespace(db, user.id, user.username);
  return resolveViewer(db, { kind: 'user', id: user.id, username: user.username, admin: subject.admin, groups: subject.groups });
}

export async function decideAccess(db: Kysely<any>, subject: AccessSubject, requested: readonly AccessEntry[]): Promise<AccessEntry[]> {
  if (requested.length === 0) return [];
  const viewer = await viewerForSubject(db, subject);
  if (!viewer) return [];
  const byName = new Map<string, string[]>();
  const granted: AccessEntry[] = [];
  for (const entry of requested) {
    let actions: string[] = [];
    if (isRepository(entry.type)) {
      let held = byName.get(entry.name);
      if (!held) {
        const p = await permissionOn(db, viewer, entry.name);
        held = p.siteAdmin ? ['*'] : p.level ? [...ACTIONS_OF[p.level]] : [];
        byName.set(entry.name, held);
      }
      actions = held;
    } else if (entry.type === 'namespace') {
      // Administering a namespace (its webhooks, its audit entries): the user's own, an organization they own.
      if (viewer.kind === 'user' && (viewer.siteAdmin || viewer.ownedNamespaces.includes(entry.name))) actions = ['admin'];
    } else if (entry.type === 'registry' && entry.name === 'catalog') {
      // /v2/_catalog lists every repository, private ones included: only site admins see it whole.
      if (viewer.kind === 'user' && viewer.siteAdmin) actions = ['*'];
    }
    if (actions.length > 0) granted.push({ type: entry.type, name: entry.name, actions });
  }
  return granted;
}

/**
 * The same decision as an in-process object with the auth service's AccessPolicy shape, for the
 * all-in-one launcher (no HTTP round trip, no internal secret needed).
 */
export function metadataAccessPolicy(db: Kysely<any>): AccessDecider {
  return { decide: (subject, requested) => decideAccess(db, subject, requested) };
}
