// Public surface of the auth service.
//
// Wiring (all-in-one, one Fastify instance; the distributed main.ts does the same on its own):
//
//   import { authPlugin, migrateAuth, createKeyStore, keyStoreOptions, bootstrapAdmin } from '@docksphere/auth';
//   await migrateAuth(db);                                   // schema "identity" + its outbox
//   const keys = await createKeyStore(keyStoreOptions(config));   // generates a key on first start
//   const admin = await bootstrapAdmin(db, adminOptions(config));
//   if (admin.created && admin.generatedPassword) print it once
//   await app.register(authPlugin, { db, config, keys, logger, onOutboxWrite: () => relay.nudge() });
//   registry: jwks: () => keys.publicJwks()                  // verifies iss/aud from config.registry.auth
//   relay: new OutboxRelay({ db, schema: AUTH_SCHEMA, bus })  // publishes auth.* events
//
// Fastify must have trustProxy set when behind NGINX so rate limits see the client's address.
export { authPlugin, defaultAccessPolicy, type AuthDeps } from './plugin.ts';
export { migrateAuth, authMigrations, AUTH_SCHEMA } from './store/migrations/index.ts';
export { createKeyStore, type KeyStore, type KeyStoreOptions, type SigningAlgorithm } from './domain/keys.ts';
export { bootstrapAdmin, type BootstrapOptions, type BootstrapResult } from './domain/bootstrap.ts';
export { BuiltinAccessPolicy, HttpAccessPolicy, parseGroupGrants, OWNER_ACTIONS, type AccessPolicy, type GroupGrant } from './domain/access-policy.ts';
export type { Subject, CredentialLimits } from './domain/subject.ts';
export { memoryLimiterStore, redisLimiterStore, type LimiterStore } from './domain/rate-limit.ts';
export { createSmtpMailer, type Mailer, type MailMessage } from './domain/mailer.ts';
export { CONSOLE_AUDIENCE } from './context.ts';
export { keyStoreOptions, adminOptions } from './settings.ts';
