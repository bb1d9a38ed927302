// The auth service's word on console sessions and opaque tokens, for the auth layer of every
// service: in-process here and in the all-in-one, over /internal/auth/* in the distributed mode.
// A session is live while it is not revoked, not idle past the idle timeout, not older than the
// absolute lifetime and its account exists and is enabled.
import type { Kysely } from '@docksphere/db';
import type { SessionState, TokenState } from '@docksphere/access';
import type { AuthConfig, CredentialAuthority } from '@docksphere/kit';
import { findSession, touchSession } from '../store/sessions.ts';
import { findUserById } from '../store/users.ts';
import { findAccessTokenByHash, touchAccessToken } from '../store/access-tokens.ts';
import { findRobotByTokenHash, touchRobot } from '../store/robots.ts';
import { namespaceOwnerDisabled, userSubject } from './authenticate.ts';
import { secretDigest, secretPrefix } from './secrets.ts';

type Limits = Pick<AuthConfig, 'sessionIdleTimeoutSeconds' | 'sessionMaxLifetimeSeconds'>;

/** Why a session row is not usable at `now`, or undefined when it is. */
export function sessionEnded(
  session: { revoked_at: Date | null; expires_at: Date; created_at: Date; last_used_at: Date },
  limits: Limits,
  now = Date.now(),
): Exclude<SessionState['status'], 'live' | 'unknown' | 'disabled'> | undefined {
  if (session.revoked_at) return 'revoked';
  if (new Date(session.expires_at).getTime() <= now) return 'expired';
  if (new Date(session.created_at).getTime() + limits.sessionMaxLifetimeSeconds * 1000 <= now) return 'expired';
  if (new Date(session.last_used_at).getTime() + limits.sessionIdleTimeoutSeconds * 1000 <= now) return 'idle';
  return undefined;
}

export function createCredentialAuthority(db: Kysely<any>, limits: Limits, clock: () => number = Date.now): CredentialAuthority {
  return {
    async session(sessionId, touch) {
      if (!/^[0-9a-f-]{36}$/.test(sessionId)) return { status: 'unknown' };
      const session = await findSession(db, sessionId);
      if (!session) return { status: 'unknown' };
      const ended = sessionEnded(session, limits, clock());
      if (ended) return { status: ended };
      const user = await findUserById(db, session.user_id);
      if (!user) return { status: 'unknown' };
      if (user.disabled) return { status: 'disabled' };
      if (touch) await touchSession(db, session.id);
      return { status: 'live', user: userSubject(user), csrfDigest: session.csrf_hash };
    },

    async token(secret, ip): Promise<TokenState> {
      if (secret.startsWith(secretPrefix.accessToken)) {
        const token = await findAccessTokenByHash(db, secretDigest(secret));
        if (!token) return { status: 'unknown' };
        if (token.revoked_at) return { status: 'revoked' };
        if (token.expires_at && new Date(token.expires_at).getTime() <= clock()) return { status: 'expired' };
        const user = await findUserById(db, token.user_id);
        if (!user) return { status: 'unknown' };
        if (user.disabled) return { status: 'disabled' };
        await touchAccessToken(db, token.id, ip);
        return { status: 'valid', principal: { subject: userSubject(user), credential: { kind: 'access-token', tokenId: token.id, scopes: token.scopes } } };
      }
      if (secret.startsWith(secretPrefix.robotToken)) {
        const robot = await findRobotByTokenHash(db, secretDigest(secret));
        if (!robot) return { status: 'unknown' };
        if (robot.revoked_at) return { status: 'revoked' };
        if (robot.expires_at && new Date(robot.expires_at).getTime() <= clock()) return { status: 'expired' };
        if (await namespaceOwnerDisabled(db, robot.namespace)) return { status: 'disabled' };
        await touchRobot(db, robot.id, ip);
        return {
          status: 'valid',
          principal: {
            subject: { kind: 'robot', id: robot.id, namespace: robot.namespace, name: robot.name, repositoryPatterns: robot.repository_patterns, actions: robot.actions },
            credential: { kind: 'robot-token', robotId: robot.id, scopes: robot.actions },
          },
        };
      }
      return { status: 'unknown' };
    },
  };
}
