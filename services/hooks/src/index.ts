// Public surface of the hooks service: the audit trail, webhooks and alerts, fed by events.
//
// Wiring (all-in-one, one Fastify instance; src/main.ts does the same for the distributed mode):
//
//   import { hooksPlugin, migrateHooks, startHooksConsumers, createDeliveryQueue } from '@docksphere/hooks';
//   await migrateHooks(db);                                      // schema "audit" + its outbox
//   const hooksQueue = createDeliveryQueue(config.hooks, logger); // in-process unless REDIS_URL is set
//   // Before any other relay starts: the in-process bus does not keep events for late subscribers.
//   const hooks = await startHooksConsumers({ db, bus, queue: hooksQueue, config: config.hooks, logger });
//   await app.register(hooksPlugin, {
//     db, config, logger, queue: hooksQueue,
//     consoleAuth: { jwks: () => keys.publicJwks() },            // distributed: { jwksUrl: config.registry.auth.jwksUrl }
//     onOutboxWrite: () => hooks.relay.nudge(),
//   });
//   ...relays.start() for the other services...
//   on close: await app.close(); await hooks.stop();            // stop() also closes hooksQueue
//
// The console token issuer defaults to config.registry.auth.issuer (AUTH_ISSUER). Repository and
// namespace admins are decided by metadata's POST /internal/access when METADATA_URL is set.
export { hooksPlugin, defaultAdminPolicy, type HooksDeps } from './plugin.ts';
export { migrateHooks, hooksMigrations, HOOKS_SCHEMA } from './store/migrations/index.ts';
export { startHooksConsumers, HOOKS_CONSUMER, type HooksConsumerDeps, type HooksConsumers } from './consumers.ts';
export { createDeliveryQueue, BullMqDeliveryQueue, InProcessDeliveryQueue } from './queue/index.ts';
export type { DeliveryJob, DeliveryOutcome, DeliveryQueue, DeliveryWorker } from './queue/index.ts';
export { CONSOLE_AUDIENCE, type ConsoleAuthOptions, type ConsoleUser } from './domain/console-auth.ts';
export { MetadataAdminPolicy, OwnNamespacePolicy, type AdminPolicy } from './domain/permissions.ts';
export { sealStoredSigningSecrets } from './domain/signing-secrets.ts';
export { SsrfGuard, forbiddenClass, systemInterfaceAddresses, systemResolver, type HostResolver, type InterfaceAddresses, type ResolvedAddress } from './domain/ssrf-guard.ts';
export { signatureHeader, verifySignature, SIGNATURE_HEADER, type SignatureCheck } from './domain/signature.ts';
export { WEBHOOK_PAYLOAD_VERSION, type WebhookPayloadV1 } from './domain/webhook-payload.ts';
export { WEBHOOK_EVENT_FILTERS, type WebhookEventFilter } from './domain/webhook-filters.ts';
