// Builds a real metadata service for tests: PGlite in memory (or a given Postgres), its migrations,
// the plugin on Fastify, console tokens signed with a test key the service trusts, and the event
// consumers on an in-process bus.
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { openDatabase, type Database } from '@docksphere/db';
import { InMemoryBus, newEvent, type EventPayloads, type EventType } from '@docksphere/events';
import { createLogger, loadConfig, type DockSphereConfig } from '@docksphere/kit';
import { CONSOLE_AUDIENCE } from '@docksphere/access';
import type { CredentialAuthority } from '@docksphere/kit';
import { metadataPlugin, migrateMetadata, startMetadataConsumers, type MetadataDeps } from '../src/index.ts';

export const INTERNAL_SECRET = 'internal-secret-for-tests';
export const ISSUER = 'docksphere-auth';

export interface TestUser {
  id: string;
  username: string;
  admin?: boolean;
  groups?: string[];
}

export interface TestMetadata {
  app: FastifyInstance;
  db: Database;
  bus: InMemoryBus;
  config: DockSphereConfig;
  /** Signs a console access token like the auth service does, for a live session of the user. */
  tokenFor(user: TestUser, options?: { expiresIn?: string; audience?: string }): Promise<string>;
  /** Ends every session of the user, as a logout at the auth service does. */
  logout(user: TestUser): void;
  /** Authorization header for the user (and registers them with metadata, as their first request would). */
  as(user: TestUser): Promise<{ authorization: string }>;
  /** Publishes an event as another service would. */
  emit<T extends EventType>(type: T, payload: EventPayloads[T], actor?: string): Promise<void>;
  /** POST /internal/access with the right secret. */
  access(subject: unknown, requested: { type: string; name: string; actions: string[] }[]): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface ConsoleKeys {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwks: JSONWebKeySet;
  /** The auth service's live sessions, shared like the key by replicas of one test. */
  sessions: Map<string, TestUser>;
}

/** A signing key like the auth service's, and the key set it publishes (replicas of one test share it). */
export async function makeConsoleKeys(): Promise<ConsoleKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  return { privateKey, jwks: { keys: [jwk] }, sessions: new Map() };
}

export async function startMetadata(options: { env?: Record<string, string>; databaseUrl?: string; deps?: Partial<MetadataDeps>; keys?: ConsoleKeys } = {}): Promise<TestMetadata> {
  const config = loadConfig({ LOG_LEVEL: 'silent', INTERNAL_SECRET, AUTH_ISSUER: ISSUER, ...options.env });
  const db = await openDatabase(options.databaseUrl ? { url: options.databaseUrl } : { dataDir: 'memory://' });
  await migrateMetadata(db.db);
  const { privateKey, jwks, sessions } = options.keys ?? (await makeConsoleKeys());
  const logger = createLogger({ level: 'silent' });
  const bus = new InMemoryBus();
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 1024 } });
  // The auth service's side of the session check: sessions the helper's tokens name.
  const authority: CredentialAuthority = {
    async session(sessionId) {
      const user = sessions.get(sessionId);
      if (!user) return { status: 'revoked' };
      return { status: 'live', user: { kind: 'user', id: user.id, username: user.username, admin: user.admin ?? false, groups: user.groups ?? [] } };
    },
    async token() {
      return { status: 'unknown' };
    },
  };
  await app.register(metadataPlugin, { db: db.db, config, logger, jwks: async () => jwks, authority, ...options.deps });
  await app.ready();
  const consumers = await startMetadataConsumers({ db: db.db, bus, logger });

  const tokenFor: TestMetadata['tokenFor'] = (user, opts = {}) => {
    const sid = crypto.randomUUID();
    sessions.set(sid, user);
    return new SignJWT({ sid, username: user.username, admin: user.admin ?? false })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience(opts.audience ?? CONSOLE_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '10m')
      .sign(privateKey);
  };

  return {
    app,
    db,
    bus,
    config,
    tokenFor,
    logout(user) {
      for (const [sid, u] of sessions) if (u.id === user.id) sessions.delete(sid);
    },
    async as(user) {
      const authorization = `Bearer ${await tokenFor(user)}`;
      const res = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization } });
      if (res.statusCode !== 200) throw new Error(`registering ${user.username} failed: ${res.statusCode} ${res.body}`);
      return { authorization };
    },
    async emit(type, payload, actor = 'system') {
      await bus.publish(newEvent(type, { subject: actor }, payload));
    },
    access(subject, requested) {
      return app.inject({ method: 'POST', url: '/internal/access', headers: { 'x-internal-secret': INTERNAL_SECRET }, payload: { subject, requested } });
    },
    async close() {
      await consumers.close();
      await app.close();
      await bus.close();
      await db.close();
    },
  };
}

export function userSubject(user: TestUser) {
  return { kind: 'user', id: user.id, username: user.username, admin: user.admin ?? false, groups: user.groups ?? [] };
}

export function repoScope(name: string, actions = ['pull', 'push', 'delete']) {
  return { type: 'repository', name, actions };
}

/** The granted actions on one repository, sorted, from an /internal/access answer. */
export function grantedOn(res: LightMyRequestResponse, name: string, type = 'repository'): string[] {
  const body = res.json() as { granted: { type: string; name: string; actions: string[] }[] };
  return body.granted.filter((e) => e.type === type && e.name === name).flatMap((e) => e.actions).sort();
}
