// The hooks service as a Fastify plugin: /api/audit/* (audit trail, export, chain verification,
// alerts) and /api/webhooks/* (subscriptions, deliveries), in its own encapsulated scope.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { Kysely } from '@docksphere/db';
import type { JSONWebKeySet } from 'jose';
import { ApiError, authKeySource, cachedAuthority, createLogger, httpAccessDecider, httpCredentialAuthority, registerAuthLayer, SecretBox, toApiError, type AccessDecider, type CredentialAuthority, type DockSphereConfig, type Logger } from '@docksphere/kit';
import type { HooksContext } from './context.ts';
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
  /** The auth service's public keys (all-in-one: () => keys.publicJwks()); otherwise AUTH_JWKS_URL is fetched. */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** The auth service's word on sessions and tokens (all-in-one: in-process); otherwise AUTH_URL's /internal/auth/*. */
  authority?: CredentialAuthority;
  /** Metadata's permission model (all-in-one: in-process); otherwise METADATA_URL's POST /internal/access. */
  accessDecider?: AccessDecider;
  logger?: Logger;
  /** Replaces the policy built from accessDecider/config (tests). */
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

/** Metadata's permission model when it is reachable (METADATA_URL), the own-namespace rule otherwise. */
export function defaultAdminPolicy(config: DockSphereConfig, decider?: AccessDecider): AdminPolicy {
  if (decider) return new MetadataAdminPolicy(decider);
  return config.auth.metadataUrl ? new MetadataAdminPolicy(httpAccessDecider({ metadataUrl: config.auth.metadataUrl, internalSecret: config.server.internalSecret })) : new OwnNamespacePolicy();
}

/** The auth service over /internal/auth/*, its answers kept a few seconds (revocations show within that). */
function defaultAuthority(config: DockSphereConfig): CredentialAuthority {
  if (!config.server.authUrl) throw new Error('the hooks service needs AUTH_URL (or AUTH_JWKS_URL) to check sessions and tokens with the auth service');
  return cachedAuthority(httpCredentialAuthority({ authUrl: config.server.authUrl, internalSecret: config.server.internalSecret }));
}

const JSON_LIMIT = 64 * 1024;

export const hooksPlugin: FastifyPluginAsync<HooksDeps> = async (app: FastifyInstance, deps: HooksDeps) => {
  const { config } = deps;
  const ctx: HooksContext = {
    db: deps.db,
    settings: config.hooks,
    policy: deps.adminPolicy ?? defaultAdminPolicy(config, deps.accessDecider),
    guard: new SsrfGuard(config.hooks.webhookAllowlist, deps.resolver, deps.interfaceAddresses),
    secrets: deps.secrets ?? SecretBox.fromConfig(config.secrets),
    queue: deps.queue,
    logger: deps.logger ?? createLogger({ level: config.server.logLevel, name: 'hooks' }),
    outboxWritten: deps.onOutboxWrite ?? (() => undefined),
  };

  registerAuthLayer(app, {
    issuer: config.registry.auth.issuer,
    keys: authKeySource({ jwks: deps.jwks, jwksUrl: deps.jwks ? undefined : config.registry.auth.jwksUrl }),
    authority: deps.authority ?? defaultAuthority(config),
  });
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
