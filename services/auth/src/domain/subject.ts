// Who is asking: the identity a credential proved, and what that credential itself is limited to.
import type { Subject, TokenScope } from '@docksphere/access';

export type { Subject };

/** Limits of the credential used (an access token's scopes); undefined means the identity's full rights. */
export interface CredentialLimits {
  actions: TokenScope[];
  accessTokenId: string;
}

/** The JWT "sub" and the event actor subject. */
export function subjectName(s: Subject): string {
  if (s.kind === 'anonymous') return '';
  if (s.kind === 'user') return s.username;
  return `${s.namespace}+${s.name}`;
}

export function actorSubject(s: Subject): string {
  if (s.kind === 'anonymous') return 'anonymous';
  return `${s.kind}:${s.id}`;
}
