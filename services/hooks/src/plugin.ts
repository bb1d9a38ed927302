// The hooks service as a Fastify plugin: /api/audit/* (audit trail, export, chain verification,
// alerts) and /api/webhooks/* (subscriptions, deliveries), in its own encapsulated scope.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { Kysely } from '@docksphere/db';
import { ApiError, createLogger, SecretBox, toApiError, type DockSphereConfig, type Logger } from '@docksphere/kit';
import type { HooksContext } from './context.ts';
import { createConsoleVerifier, type ConsoleAuthOptions } from './domain/console-auth.ts';
import { MetadataAdminPolicy, OwnNamespacePolicy, type AdminPolicy } from './domain/permissions.ts';
import { SsrfGuard, type HostResolver, type InterfaceAddresses } from './domain/ssrf-guard.ts';
import type { DeliveryQueue } from './queue/delivery-queue.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface HooksDeps {
  db: Kysely<any>;
  config: DockSphereConfig;
  /** The delivery queue shared with startHooksConsumers (pings and redeliveries are queued here). */
  queue: DeliveryQueue;
  /** How console access tokens are verified: the auth service's keys (jwks in one process, jwksUrl otherwise). */
  consoleAuth: Omit<ConsoleAuthOptions, 'issuer'> & { issuer?: string };
  logger?: Logger;
  /** Defaults by config: metadata's POST /internal/access when METADATA_URL is set, own namespace otherwise. */
  adminPolicy?: AdminPolicy;
  /** DNS for the SSRF guard (tests); the system resolver otherwise. */
  resolver?: HostResolver;
  /** This server's own addresses for the SSRF guard (tests); os.networkInterfaces() otherwise. */
  interfaceAddresses?: InterfaceAddresses;
  /** Seals signing secrets; defaults to the keys of config.secrets (share one with startHooksConsumers). */
  secrets?: SecretBox;
  /** Called after each commit that wrote outbox events (relay.nudge() of startHooksConsumers). */
  onOutboxWrite?: () => void;
}

export function defaultAdminPolicy(config: DockSphereConfig): AdminPolicy {
  return config.auth.metadataUrl ? new MetadataAdminPolicy(config.auth.metadataUrl, config.server.internalSecret) : new OwnNamespacePolicy();
}

const JSON_LIMIT = 64 * 1024;

export const hooksPlugin: FastifyPluginAsync<HooksDeps> = async (app: FastifyInstance, deps: HooksDeps) => {
  const { config } = deps;
  const ctx: HooksContext = {
    db: deps.db,
    settings: config.hooks,
    verifyConsoleToken: createConsoleVerifier({ ...deps.consoleAuth, issuer: deps.consoleAuth.issuer ?? config.registry.auth.issuer }),
    policy: deps.adminPolicy ?? defaultAdminPolicy(config),
    guard: new SsrfGuard(config.hooks.webhookAllowlist, deps.resolver, deps.interfaceAddresses),
    secrets: deps.secrets ?? SecretBox.fromConfig(config.secrets),
    queue: deps.queue,
    logger: deps.logger ?? createLogger({ level: config.server.logLevel, name: 'hooks' }),
    outboxWritten: deps.onOutboxWrite ?? (() => undefined),
  };

  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // Settings are small: bounded bodies.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_LIMIT }, app.getDefaultJsonParser('error', 'error'));

  app.setErrorHandler((error, request, reply) => {
    const known = toApiError(error);
    if (known) return reply.code(known.status).headers(known.headers).send(known.toJSON());
    const err = error as Error;
    ctx.logger.error({ err: { message: err.message, stack: err.stack }, url: request.routeOptions.url }, 'hooks request failed');
    return reply.code(500).send(new ApiError('INTERNAL', 'internal error').toJSON());
  });

  await auditRoutes(app, ctx);
  await alertRoutes(app, ctx);
  await webhookRoutes(app, ctx);
  await deliveryRoutes(app, ctx);
};
