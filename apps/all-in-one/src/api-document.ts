// The platform API's OpenAPI document without a running platform: mounts auth, metadata and hooks
// on a Fastify instance that never listens, with dependencies that are never called (no database
// is opened, no request is served), and collects the route schemas. scripts/openapi.ts writes it
// to packages/client; the all-in-one serves the same document from its live routes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { createLogger, loadConfig, registerOpenApi } from '@docksphere/kit';
import { authPlugin, createKeyStore } from '@docksphere/auth';
import { metadataPlugin } from '@docksphere/metadata';
import { hooksPlugin, createDeliveryQueue } from '@docksphere/hooks';

/** A route as Fastify registered it: what the document must describe. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

export async function buildPlatformDocument(): Promise<Record<string, unknown>> {
  return (await buildPlatformApi()).document;
}

/** The document and every route the three services registered (to check the one covers the other). */
export async function buildPlatformApi(): Promise<{ document: Record<string, unknown>; routes: RegisteredRoute[] }> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const logger = createLogger({ level: 'silent' });
  // A Kysely that compiles queries but has no connection: nothing here runs one.
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const keysDir = await mkdtemp(path.join(tmpdir(), 'docksphere-openapi-'));
  const queue = createDeliveryQueue({ ...config.hooks, redisUrl: undefined }, logger);
  const app = Fastify({ logger: false });
  const routes: RegisteredRoute[] = [];
  // Registered on the root, the hook sees the routes of every plugin mounted after it.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  try {
    const keys = await createKeyStore({ keysDir, generate: true, algorithm: 'ES256', retireAfterSeconds: 3600 });
    await registerOpenApi(app);
    await app.register(authPlugin, { db, config, keys, logger });
    await app.register(metadataPlugin, { db, config, logger, jwks: () => keys.publicJwks() });
    await app.register(hooksPlugin, { db, config, logger, queue, consoleAuth: { jwks: () => keys.publicJwks() } });
    await app.ready();
    return { document: app.swagger() as unknown as Record<string, unknown>, routes };
  } finally {
    await app.close();
    await queue.close();
    await db.destroy();
    await rm(keysDir, { recursive: true, force: true });
  }
}
