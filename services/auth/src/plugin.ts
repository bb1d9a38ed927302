// The auth service as a Fastify plugin: /auth/* (Docker token service, JWKS) and /api/auth/*
// (accounts, sessions, 2FA, access tokens, robots, admin), in its own encapsulated scope.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { Kysely } from '@docksphere/db';
import { ApiError, createLogger, SecretBox, toApiError, type DockSphereConfig, type Logger } from '@docksphere/kit';
import type { AuthContext } from './context.ts';
import { BuiltinAccessPolicy, HttpAccessPolicy, parseGroupGrants, type AccessPolicy } from './domain/access-policy.ts';
import type { KeyStore } from './domain/keys.ts';
import { LdapAuthenticator } from './domain/ldap.ts';
import { createSmtpMailer, unconfiguredMailer, type Mailer } from './domain/mailer.ts';
import { memoryLimiterStore, RateLimiter, redisLimiterStore, type LimiterStore } from './domain/rate-limit.ts';
import { sealStoredTotpSecrets } from './domain/totp-secrets.ts';
import { accessTokenRoutes } from './routes/access-tokens.ts';
import { accountRoutes } from './routes/accounts.ts';
import { adminRoutes } from './routes/admin.ts';
import { passwordResetRoutes } from './routes/password-reset.ts';
import { robotRoutes } from './routes/robots.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { TokenError, sendTokenError, tokenRoutes } from './routes/token.ts';
import { twoFactorRoutes } from './routes/two-factor.ts';

export interface AuthDeps {
  db: Kysely<any>;
  config: DockSphereConfig;
  /** From createKeyStore(); the registry in the same process verifies with keys.publicJwks. */
  keys: KeyStore;
  logger?: Logger;
  /** Defaults by config: the built-in rule, or metadata's POST /internal/access. */
  accessPolicy?: AccessPolicy;
  /** Defaults by config: Redis when REDIS_URL is set, memory otherwise. */
  limiters?: LimiterStore;
  /** Seals TOTP seeds; defaults to the keys of config.secrets. */
  secrets?: SecretBox;
  /** Defaults by config: SMTP_URL, or a mailer that refuses (and the failure is logged). */
  mailer?: Mailer;
  /** Called after each commit that wrote outbox events (all-in-one: relay.nudge()). */
  onOutboxWrite?: () => void;
}

export function defaultAccessPolicy(config: DockSphereConfig): AccessPolicy {
  if (config.auth.accessPolicy === 'metadata') {
    if (!config.auth.metadataUrl) throw new Error('AUTH_ACCESS_POLICY=metadata needs METADATA_URL');
    return new HttpAccessPolicy(config.auth.metadataUrl, config.server.internalSecret);
  }
  return new BuiltinAccessPolicy(parseGroupGrants(config.auth.ldap.groupGrants));
}

const FORM_LIMIT = 32 * 1024;
const JSON_LIMIT = 64 * 1024;

export const authPlugin: FastifyPluginAsync<AuthDeps> = async (app: FastifyInstance, deps: AuthDeps) => {
  const { config } = deps;
  const settings = config.auth;
  const limiters = deps.limiters ?? (settings.redisUrl ? redisLimiterStore(settings.redisUrl) : memoryLimiterStore());
  const ctx: AuthContext = {
    db: deps.db,
    settings,
    keys: deps.keys,
    policy: deps.accessPolicy ?? defaultAccessPolicy(config),
    limiter: new RateLimiter(limiters, { failuresBeforeDelay: settings.rateLimit.failuresBeforeDelay }),
    secrets: deps.secrets ?? SecretBox.fromConfig(config.secrets),
    mailer: deps.mailer ?? (settings.smtpUrl ? createSmtpMailer(settings.smtpUrl, settings.mailFrom) : unconfiguredMailer),
    ldap: settings.ldap.url ? new LdapAuthenticator({ ...settings.ldap, url: settings.ldap.url }) : undefined,
    logger: deps.logger ?? createLogger({ level: config.server.logLevel, name: 'auth' }),
    issuer: config.registry.auth.issuer,
    service: config.registry.auth.service,
    publicUrl: config.server.publicUrl,
    outboxWritten: deps.onOutboxWrite ?? (() => undefined),
  };
  if (!deps.limiters) app.addHook('onClose', async () => ctx.limiter.close());

  // Seeds stored in plain text (before 002_sealed_totp_secrets) or under a retired key are sealed anew.
  await sealStoredTotpSecrets(ctx.db, ctx.secrets, ctx.logger);

  await app.register(cookie);
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  // Bounded bodies: credentials and settings are small.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_LIMIT }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
    const form: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body as string)) form[k] = k in form ? `${form[k]} ${v}` : v;
    done(null, form);
  });

  app.setErrorHandler((error, request, reply) => {
    const isTokenRoute = request.url.startsWith('/auth/token');
    if (error instanceof TokenError) return sendTokenError(reply, error);
    const known = toApiError(error);
    if (known) {
      // The token endpoint answers in the Docker token spec's error shape, everything else as the platform API.
      if (isTokenRoute) return sendTokenError(reply, new TokenError(known.status, known.status === 429 ? 'TOOMANYREQUESTS' : 'INVALID_REQUEST', 'invalid_request', known.message, known.headers));
      return reply.code(known.status).headers(known.headers).send(known.toJSON());
    }
    const err = error as Error;
    ctx.logger.error({ err: { message: err.message, stack: err.stack }, url: request.routeOptions.url }, 'auth request failed');
    if (isTokenRoute) return sendTokenError(reply, new TokenError(500, 'UNAVAILABLE', 'server_error', 'internal error'));
    return reply.code(500).send(new ApiError('INTERNAL', 'internal error').toJSON());
  });

  await tokenRoutes(app, ctx);
  await sessionRoutes(app, ctx);
  await accountRoutes(app, ctx);
  await passwordResetRoutes(app, ctx);
  await twoFactorRoutes(app, ctx);
  await accessTokenRoutes(app, ctx);
  await robotRoutes(app, ctx);
  await adminRoutes(app, ctx);
};
