// Signs registry bearer tokens (the Docker token spec's JWT) and Docker refresh tokens.
import type { AccessEntry } from '@docksphere/access';
import type { AuthContext } from '../context.ts';
import { insertDockerRefreshToken } from '../store/docker-refresh-tokens.ts';
import { grantAccess } from './grants.ts';
import { newSecret, secretDigest, secretPrefix } from './secrets.ts';
import { subjectName, type CredentialLimits, type Subject } from './subject.ts';

export interface IssuedRegistryToken {
  token: string;
  access: AccessEntry[];
  expiresIn: number;
  issuedAt: string;
}

export async function issueRegistryToken(ctx: AuthContext, subject: Subject, limits: CredentialLimits | undefined, requested: AccessEntry[]): Promise<IssuedRegistryToken> {
  const access = await grantAccess(ctx.policy, subject, limits, requested);
  const ttl = ctx.settings.tokenTtlSeconds;
  const { token, issuedAt } = await ctx.keys.sign({ access }, { issuer: ctx.issuer, audience: ctx.service, subject: subjectName(subject), ttlSeconds: ttl });
  return { token, access, expiresIn: ttl, issuedAt: new Date(issuedAt * 1000).toISOString() };
}

/** A new Docker refresh token bound to the subject, the credential it came from and the service. */
export async function issueDockerRefreshToken(
  ctx: AuthContext,
  subject: Exclude<Subject, { kind: 'anonymous' }>,
  credential: { accessTokenId?: string | undefined; robotId?: string | undefined },
  clientId: string | undefined,
): Promise<string> {
  const secret = newSecret(secretPrefix.dockerRefresh);
  await insertDockerRefreshToken(ctx.db, {
    tokenHash: secretDigest(secret),
    userId: subject.kind === 'user' ? subject.id : null,
    robotId: subject.kind === 'robot' ? subject.id : (credential.robotId ?? null),
    accessTokenId: credential.accessTokenId ?? null,
    service: ctx.service,
    clientId,
  });
  return secret;
}
