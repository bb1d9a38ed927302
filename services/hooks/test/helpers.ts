// Test fixtures for the hooks service: console tokens signed like the auth service's, a hooks
// service built on a given database, bus and queue, a webhook receiver that can go down and come
// back on the same port, and event builders.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import type { Kysely } from '@docksphere/db';
import { InMemoryBus, newEvent, type Actor, type DomainEvent, type EventBus, type EventPayloads, type EventType } from '@docksphere/events';
import { createLogger, loadConfig, SecretBox, type DockSphereConfig } from '@docksphere/kit';
import {
  CONSOLE_AUDIENCE,
  InProcessDeliveryQueue,
  hooksPlugin,
  migrateHooks,
  startHooksConsumers,
  type AdminPolicy,
  type ConsoleUser,
  type DeliveryQueue,
  type HooksConsumers,
  type HostResolver,
  type InterfaceAddresses,
} from '../src/index.ts';

export const ISSUER = 'docksphere-auth';
export const silent = createLogger({ level: 'silent' });

export interface ConsoleKeys {
  jwks(): Promise<JSONWebKeySet>;
  /** A console access token for the user, as the auth service signs it. */
  token(user: ConsoleUser, options?: { audience?: string; issuer?: string; expiresIn?: string }): Promise<string>;
}

export async function consoleKeys(): Promise<ConsoleKeys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const set: JSONWebKeySet = { keys: [jwk] };
  return {
    jwks: async () => set,
    token: (user, options = {}) =>
      new SignJWT({ sid: crypto.randomUUID(), username: user.username, admin: user.admin })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key', typ: 'JWT' })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? CONSOLE_AUDIENCE)
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '10m')
        .sign(privateKey),
  };
}

export const ADMIN: ConsoleUser = { id: 'u-admin', username: 'admin', admin: true };
export const ALICE: ConsoleUser = { id: 'u-alice', username: 'alice', admin: false };
export const BOB: ConsoleUser = { id: 'u-bob', username: 'bob', admin: false };

/** Fast retries for tests: milliseconds, not minutes. */
export const FAST_DELIVERY_ENV: Record<string, string> = {
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_MAX_ATTEMPTS: '5',
};

/** The suites' key for sealed signing secrets (a fixed test value, never used outside tests). */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

export function testConfig(env: Record<string, string> = {}): DockSphereConfig {
  return loadConfig({ LOG_LEVEL: 'silent', AUTH_ISSUER: ISSUER, SECRETS_KEY: TEST_SECRETS_KEY, ...FAST_DELIVERY_ENV, ...env });
}

export interface TestHooks {
  app: FastifyInstance;
  consumers: HooksConsumers;
  config: DockSphereConfig;
  keys: ConsoleKeys;
  bus: EventBus;
  queue: DeliveryQueue;
  auth(user: ConsoleUser): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startHooks(options: {
  db: Kysely<any>;
  env?: Record<string, string>;
  bus?: EventBus;
  queue?: DeliveryQueue;
  policy?: AdminPolicy;
  resolver?: HostResolver;
  interfaceAddresses?: InterfaceAddresses;
  keys?: ConsoleKeys;
}): Promise<TestHooks> {
  const config = testConfig(options.env);
  await migrateHooks(options.db);
  const keys = options.keys ?? (await consoleKeys());
  const bus = options.bus ?? new InMemoryBus();
  const queue =
    options.queue ??
    new InProcessDeliveryQueue({ concurrency: 8, perEndpointConcurrency: config.hooks.delivery.perEndpointConcurrency, jobTimeoutMs: config.hooks.delivery.timeoutMs, logger: silent });
  const consumers = await startHooksConsumers({
    db: options.db,
    bus,
    queue,
    config: config.hooks,
    secrets: SecretBox.fromConfig(config.secrets),
    logger: silent,
    sweepIntervalMs: 200,
    sweepGraceMs: 1_000,
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.interfaceAddresses ? { interfaceAddresses: options.interfaceAddresses } : {}),
  });
  const app = Fastify({ logger: false });
  await app.register(hooksPlugin, {
    db: options.db,
    config,
    queue,
    logger: silent,
    consoleAuth: { jwks: keys.jwks },
    onOutboxWrite: () => consumers.relay.nudge(),
    ...(options.policy ? { adminPolicy: options.policy } : {}),
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.interfaceAddresses ? { interfaceAddresses: options.interfaceAddresses } : {}),
  });
  await app.ready();
  return {
    app,
    consumers,
    config,
    keys,
    bus,
    queue,
    auth: async (user) => ({ authorization: `Bearer ${await keys.token(user)}` }),
    async close() {
      await app.close();
      await consumers.stop();
      if (!options.bus) await bus.close();
    },
  };
}

/** Grants repository/namespace admin from a table, as metadata would answer. */
export function tablePolicy(table: { repositories?: Record<string, string[]>; namespaces?: Record<string, string[]> }): AdminPolicy {
  return {
    isRepositoryAdmin: async (user, repository) => user.admin || (table.repositories?.[user.username] ?? []).includes(repository),
    isNamespaceAdmin: async (user, namespace) => user.admin || (table.namespaces?.[user.username] ?? []).includes(namespace),
  };
}

export const ORIGIN: Actor = { subject: 'user:u-alice', name: 'alice', ip: '203.0.113.7', userAgent: 'docker/27.0 go/go1.22' };

export function event<T extends EventType>(type: T, payload: EventPayloads[T], actor: Actor = ORIGIN, occurredAt?: Date): DomainEvent<T> {
  const e = newEvent(type, actor, payload);
  return occurredAt ? { ...e, occurredAt: occurredAt.toISOString() } : e;
}

export function pushed(repository: string, tag = 'latest'): DomainEvent<'registry.manifest.pushed'> {
  return event('registry.manifest.pushed', { repository, digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512, tag });
}

export function pulled(repository: string): DomainEvent<'registry.image.pulled'> {
  return event('registry.image.pulled', { repository, digest: `sha256:${'b'.repeat(64)}`, reference: 'latest', mediaType: 'application/vnd.oci.image.manifest.v1+json' });
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remoteAddress: string | undefined;
}

/** A webhook receiver on 127.0.0.1 that answers with status(request) and can be stopped and restarted on the same port. */
export interface Receiver {
  port: number;
  url: string;
  received: ReceivedRequest[];
  /** Status to answer with (default 200). */
  respond: (request: ReceivedRequest) => number | Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let server: http.Server | undefined;
  const receiver: Receiver = {
    port,
    url: '',
    received,
    respond: () => 200,
    async start() {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const request: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remoteAddress: req.socket.remoteAddress };
          received.push(request);
          void Promise.resolve(receiver.respond(request)).then((status) => {
            res.writeHead(status, { 'content-type': 'text/plain' });
            res.end(status < 300 ? 'ok' : 'nope');
          });
        });
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(receiver.port, '127.0.0.1', () => resolve());
      });
      receiver.port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await receiver.start();
  return receiver;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
