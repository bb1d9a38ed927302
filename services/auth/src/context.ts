// Everything a route needs, built once per plugin instance from the deps the caller passes in.
import type { Kysely } from '@docksphere/db';
import type { AuthConfig, Logger, SecretBox } from '@docksphere/kit';
import type { AccessPolicy } from './domain/access-policy.ts';
import type { KeyStore } from './domain/keys.ts';
import type { LdapAuthenticator } from './domain/ldap.ts';
import type { Mailer } from './domain/mailer.ts';
import type { RateLimiter } from './domain/rate-limit.ts';

export interface AuthContext {
  db: Kysely<any>;
  settings: AuthConfig;
  keys: KeyStore;
  policy: AccessPolicy;
  limiter: RateLimiter;
  /** Seals TOTP seeds at rest. */
  secrets: SecretBox;
  mailer: Mailer;
  ldap: LdapAuthenticator | undefined;
  logger: Logger;
  /** Registry token claims: iss and the one service (aud) tokens are issued for. */
  issuer: string;
  service: string;
  publicUrl: string;
  /** Called after a commit that wrote outbox events (all-in-one: wakes the relay). */
  outboxWritten(): void;
}

/** Audience of console access tokens, distinct from the registry's so neither is accepted by the other. */
export const CONSOLE_AUDIENCE = 'docksphere-console';
