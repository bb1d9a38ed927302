// The metadata service as a Fastify plugin: /api/* (namespaces, organizations, teams, repositories,
// grants, docs, profiles, dashboard, search, admin) and /internal/access. Its route schemas feed the
// platform's OpenAPI document (registerOpenApi in @docksphere/kit, on the instance that mounts it).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { JSONWebKeySet } from 'jose';
import type { Kysely } from '@docksphere/db';
import { ApiError, createLogger, toApiError, type DockSphereConfig, type Logger } from '@docksphere/kit';
import type { MetadataContext } from './context.ts';
import { createConsoleTokenVerifier, type ConsoleTokenVerifier } from './domain/console-tokens.ts';
import { accessRoutes } from './routes/access.ts';
import { organizationRoutes } from './routes/organizations.ts';
import { teamRoutes } from './routes/teams.ts';
import { repositoryRoutes } from './routes/repositories.ts';
import { grantRoutes } from './routes/grants.ts';
import { docRoutes } from './routes/docs.ts';
import { pageRoutes } from './routes/pages.ts';
import { AVATAR_TYPES, profileRoutes } from './routes/profiles.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { tagRoutes } from './routes/tags.ts';
import { searchRoutes } from './routes/search.ts';
import { adminRoutes } from './routes/admin.ts';

export interface MetadataDeps {
  db: Kysely<any>;
  config: DockSphereConfig;
  logger?: Logger;
  /** The auth service's public keys (all-in-one: () => keys.publicJwks()); otherwise AUTH_JWKS_URL is fetched. */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** Replaces the console token verifier built from jwks/config (tests). */
  consoleTokens?: ConsoleTokenVerifier;
  /** Called after each commit that wrote outbox events (all-in-one: relay.nudge()). */
  onOutboxWrite?: () => void;
}

const JSON_LIMIT = 64 * 1024;

export const metadataPlugin: FastifyPluginAsync<MetadataDeps> = async (app: FastifyInstance, deps: MetadataDeps) => {
  const { config } = deps;
  const settings = config.metadata;
  const ctx: MetadataContext = {
    db: deps.db,
    settings,
    logger: deps.logger ?? createLogger({ level: config.server.logLevel, name: 'metadata' }),
    internalSecret: config.server.internalSecret,
    consoleTokens:
      deps.consoleTokens ??
      createConsoleTokenVerifier({ issuer: config.registry.auth.issuer, jwks: deps.jwks, jwksUrl: deps.jwks ? undefined : config.registry.auth.jwksUrl }),
    outboxWritten: deps.onOutboxWrite ?? (() => undefined),
  };

  if (!app.hasDecorator('parseCookie')) await app.register(cookie);
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  // Bounded bodies: the largest JSON is a Markdown document.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: Math.max(JSON_LIMIT, settings.maxDocBytes * 2 + 4096) }, app.getDefaultJsonParser('error', 'error'));
  // Avatars arrive as the raw image; the route checks the bytes match the declared type.
  app.addContentTypeParser(AVATAR_TYPES, { parseAs: 'buffer', bodyLimit: settings.maxAvatarBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const known = toApiError(error);
    if (known) return reply.code(known.status).headers(known.headers).send(known.toJSON());
    const err = error as Error;
    ctx.logger.error({ err: { message: err.message, stack: err.stack }, url: request.routeOptions.url }, 'metadata request failed');
    return reply.code(500).send(new ApiError('INTERNAL', 'internal error').toJSON());
  });

  await accessRoutes(app, ctx);
  await organizationRoutes(app, ctx);
  await teamRoutes(app, ctx);
  await repositoryRoutes(app, ctx);
  await grantRoutes(app, ctx);
  await tagRoutes(app, ctx);
  await docRoutes(app, ctx);
  await pageRoutes(app, ctx);
  await profileRoutes(app, ctx);
  await dashboardRoutes(app, ctx);
  await searchRoutes(app, ctx);
  await adminRoutes(app, ctx);
};
