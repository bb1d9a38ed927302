// Checks credentials: passwords (local argon2id or LDAP bind), personal access tokens, robot
// tokens and Docker refresh tokens. Every failure of a secret answers the same way, whether the
// account exists or not, after the same work.
import type { AuthContext } from '../context.ts';
import { findUserById, findUserByUsername, insertUser, updateUser, type UserRow } from '../store/users.ts';
import { accessTokenUsable, findAccessTokenByHash, findAccessTokenById, touchAccessToken } from '../store/access-tokens.ts';
import { findRobotById, findRobotByTokenHash, robotUsable, touchRobot } from '../store/robots.ts';
import { findDockerRefreshToken, touchDockerRefreshToken } from '../store/docker-refresh-tokens.ts';
import { verifyPassword } from './passwords.ts';
import { actor, recordEvent } from './events.ts';
import { constantTimeEqual, secretDigest, secretPrefix } from './secrets.ts';
import { parseRobotLogin, usernameProblem } from './usernames.ts';
import type { CredentialLimits, Subject } from './subject.ts';

export type LoginMethod = 'password' | 'ldap' | 'access-token' | 'robot' | 'refresh-token';

export type AuthOutcome =
  | { ok: true; subject: Exclude<Subject, { kind: 'anonymous' }>; user: UserRow | undefined; limits: CredentialLimits | undefined; method: LoginMethod; accessTokenId?: string; robotId?: string }
  | { ok: false; reason: 'bad-credentials' | 'disabled' | 'two-factor-required' | 'unavailable' };

export const BAD_CREDENTIALS_MESSAGE = 'incorrect username or password';
export const DISABLED_MESSAGE = 'this account is disabled';
export const TWO_FACTOR_DOCKER_MESSAGE =
  'two-factor authentication is enabled for this account, so its password cannot be used here: create a personal access token (Account settings > Access tokens) and use it as the password';

export function userSubject(u: UserRow): Extract<Subject, { kind: 'user' }> {
  return { kind: 'user', id: u.id, username: u.username, admin: u.is_admin, groups: u.ldap_groups };
}

/** A user namespace's robots stop with their owner's account (organisation namespaces come with metadata). */
export async function namespaceOwnerDisabled(db: AuthContext['db'], namespace: string): Promise<boolean> {
  const owner = await findUserByUsername(db, namespace);
  return owner !== undefined && owner.disabled;
}

/** Username and password: local hash first, the directory for LDAP users and unknown names. */
export async function checkPassword(ctx: AuthContext, rawUsername: string, password: string): Promise<AuthOutcome & { twoFactor?: boolean }> {
  const username = rawUsername.trim().toLowerCase();
  const user = usernameProblem(username) ? undefined : await findUserByUsername(ctx.db, username);
  if (user && user.source === 'local') {
    if (!(await verifyPassword(user.password_hash, password))) return { ok: false, reason: 'bad-credentials' };
    if (user.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, subject: userSubject(user), user, limits: undefined, method: 'password', twoFactor: user.totp_enabled };
  }
  if (ctx.ldap && !usernameProblem(username)) {
    const res = await ctx.ldap.login(username, password);
    if (!res.ok) return { ok: false, reason: res.reason };
    const synced = await syncLdapUser(ctx, username, res.identity, user);
    if (!synced) return { ok: false, reason: 'bad-credentials' };
    if (synced.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, subject: userSubject(synced), user: synced, limits: undefined, method: 'ldap', twoFactor: synced.totp_enabled };
  }
  await verifyPassword(undefined, password);
  return { ok: false, reason: 'bad-credentials' };
}

/** Creates or refreshes the local record of a directory user (groups are re-read at every login). */
async function syncLdapUser(
  ctx: AuthContext,
  username: string,
  identity: { email: string | undefined; displayName: string | undefined; groups: string[] },
  existing: UserRow | undefined,
): Promise<UserRow | undefined> {
  if (existing) {
    await updateUser(ctx.db, existing.id, { ldap_groups: identity.groups, ...(identity.displayName ? { display_name: identity.displayName } : {}) });
    return { ...existing, ldap_groups: identity.groups, display_name: identity.displayName ?? existing.display_name };
  }
  const res = await ctx.db.transaction().execute(async (trx) => {
    const created = await insertUser(trx, {
      username,
      email: identity.email ?? `${username}@ldap.invalid`,
      displayName: identity.displayName ?? username,
      passwordHash: null,
      source: 'ldap',
      admin: false,
      ldapGroups: identity.groups,
    });
    if (created.created) {
      await recordEvent(trx, 'auth.user.created', actor('system', undefined, { ip: undefined, userAgent: undefined }), {
        userId: created.user.id,
        username,
        source: 'ldap',
      });
    }
    return created;
  });
  if (!res.created) return undefined;
  ctx.outboxWritten();
  return res.user;
}

/**
 * Credentials given to docker login / skopeo: a robot token, a personal access token, or the
 * password (refused with a pointer to access tokens when the account has 2FA).
 */
export async function checkDockerCredentials(ctx: AuthContext, rawUsername: string, secret: string, ip: string | undefined): Promise<AuthOutcome> {
  const robotLogin = parseRobotLogin(rawUsername.trim().toLowerCase());
  if (robotLogin) {
    const robot = secret.startsWith(secretPrefix.robotToken) ? await findRobotByTokenHash(ctx.db, secretDigest(secret)) : undefined;
    if (!robot || !constantTimeEqual(robot.namespace, robotLogin.namespace) || !constantTimeEqual(robot.name, robotLogin.name) || !robotUsable(robot)) {
      return { ok: false, reason: 'bad-credentials' };
    }
    if (await namespaceOwnerDisabled(ctx.db, robot.namespace)) return { ok: false, reason: 'disabled' };
    await touchRobot(ctx.db, robot.id, ip);
    return {
      ok: true,
      subject: { kind: 'robot', id: robot.id, namespace: robot.namespace, name: robot.name, repositoryPatterns: robot.repository_patterns, actions: robot.actions },
      user: undefined,
      limits: undefined,
      method: 'robot',
      robotId: robot.id,
    };
  }
  if (secret.startsWith(secretPrefix.accessToken)) {
    const token = await findAccessTokenByHash(ctx.db, secretDigest(secret));
    if (token) {
      const user = await findUserByUsername(ctx.db, rawUsername.trim().toLowerCase());
      if (!user || user.id !== token.user_id || !accessTokenUsable(token)) return { ok: false, reason: 'bad-credentials' };
      if (user.disabled) return { ok: false, reason: 'disabled' };
      await touchAccessToken(ctx.db, token.id, ip);
      return { ok: true, subject: userSubject(user), user, limits: { actions: token.scopes, accessTokenId: token.id }, method: 'access-token', accessTokenId: token.id };
    }
  }
  const res = await checkPassword(ctx, rawUsername, secret);
  if (res.ok && res.twoFactor) return { ok: false, reason: 'two-factor-required' };
  return res;
}

/** A Docker refresh (identity) token: valid while its credential and account are. */
export async function checkDockerRefreshToken(ctx: AuthContext, refreshToken: string, service: string, ip: string | undefined): Promise<AuthOutcome> {
  if (!refreshToken.startsWith(secretPrefix.dockerRefresh)) return { ok: false, reason: 'bad-credentials' };
  const row = await findDockerRefreshToken(ctx.db, secretDigest(refreshToken));
  if (!row || row.revoked_at || row.service !== service) return { ok: false, reason: 'bad-credentials' };
  if (row.robot_id) {
    const robot = await findRobotById(ctx.db, row.robot_id);
    if (!robot || !robotUsable(robot)) return { ok: false, reason: 'bad-credentials' };
    if (await namespaceOwnerDisabled(ctx.db, robot.namespace)) return { ok: false, reason: 'disabled' };
    await touchDockerRefreshToken(ctx.db, row.id);
    await touchRobot(ctx.db, robot.id, ip);
    return {
      ok: true,
      subject: { kind: 'robot', id: robot.id, namespace: robot.namespace, name: robot.name, repositoryPatterns: robot.repository_patterns, actions: robot.actions },
      user: undefined,
      limits: undefined,
      method: 'refresh-token',
      robotId: robot.id,
    };
  }
  if (!row.user_id) return { ok: false, reason: 'bad-credentials' };
  const user = await findUserById(ctx.db, row.user_id);
  if (!user) return { ok: false, reason: 'bad-credentials' };
  if (user.disabled) return { ok: false, reason: 'disabled' };
  let limits: CredentialLimits | undefined;
  if (row.access_token_id) {
    const token = await findAccessTokenById(ctx.db, row.access_token_id);
    if (!token || !accessTokenUsable(token)) return { ok: false, reason: 'bad-credentials' };
    limits = { actions: token.scopes, accessTokenId: token.id };
    await touchAccessToken(ctx.db, token.id, ip);
  } else if (user.totp_enabled) {
    // Enabling 2FA after a password docker login must end that login too.
    return { ok: false, reason: 'two-factor-required' };
  }
  await touchDockerRefreshToken(ctx.db, row.id);
  return { ok: true, subject: userSubject(user), user, limits, method: 'refresh-token', ...(row.access_token_id ? { accessTokenId: row.access_token_id } : {}) };
}
