// Starts the built all-in-one bundle (apps/all-in-one/dist/main.mjs) the way a user would: a temp
// DATA_DIR, a free PORT on 127.0.0.1, token auth against the test token server (or another fixture).
import path from 'node:path';
import { freePort, makeTempDir } from '@docksphere/infra';
import type { RegistryAuthFixture } from './auth-fixture.ts';
import { startNodeService } from './node-service.ts';
import { bundles, requireBundle } from './paths.ts';
import { startTestTokenServer } from './test-token-server.ts';
import type { RegistryUnderTest } from './registry-under-test.ts';

export interface AllInOneOptions {
  /**
   * Token issuer to trust; default: a fresh test token server, stopped with the registry.
   * 'builtin': the auth service mounted in the all-in-one process itself (site admin from ADMIN_PASSWORD).
   */
  auth?: RegistryAuthFixture | 'none' | 'builtin';
  /** Extra environment (overrides the harness's). */
  env?: Record<string, string>;
}

export async function startAllInOne(opts: AllInOneOptions = {}): Promise<RegistryUnderTest> {
  const bundle = requireBundle(bundles.allInOne);
  const temp = makeTempDir('aio');
  const ownsAuth = opts.auth === undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = path.join(temp.dir, 'data');
  const builtin = opts.auth === 'builtin' ? builtinAuth(url) : undefined;
  const auth = opts.auth === 'none' ? undefined : (builtin ?? (opts.auth as RegistryAuthFixture | undefined) ?? (await startTestTokenServer({ keyDir: temp.dir })));
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    PUBLIC_URL: url,
    LOG_LEVEL: 'info',
    ADMIN_PASSWORD: 'e2e-admin-password',
    ...(builtin ? {} : auth ? authEnv(auth, undefined) : { REGISTRY_AUTH: 'none' }),
    ...opts.env,
  };
  try {
    const service = await startNodeService({ name: 'all-in-one', bundle, port, env, logFile: path.join(temp.dir, 'all-in-one.log'), readyPath: '/v2/' });
    return {
      url,
      host: `127.0.0.1:${port}`,
      auth,
      dataDir,
      storageDir: env.STORAGE_DIR ?? path.join(dataDir, 'storage'),
      logs: () => service.logs(),
      async stop() {
        await service.stop();
        if (ownsAuth) await auth?.stop();
        temp.remove();
      },
    };
  } catch (err) {
    if (ownsAuth) await auth?.stop();
    temp.remove();
    throw err;
  }
}

/** The registry settings that make it trust `auth`'s tokens and send clients to its realm. */
export function authEnv(auth: RegistryAuthFixture, publicUrl: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    REGISTRY_AUTH: 'token',
    AUTH_REALM: auth.realmFor(publicUrl),
    AUTH_SERVICE: auth.service,
    AUTH_ISSUER: auth.issuer,
  };
  if (auth.publicKeyFile) env.AUTH_PUBLIC_KEY_FILE = auth.publicKeyFile;
  else if (auth.jwksUrl) env.AUTH_JWKS_URL = auth.jwksUrl;
  return env;
}

/** The all-in-one's own auth service: defaults of config.registry.auth, admin from ADMIN_PASSWORD. */
function builtinAuth(url: string): RegistryAuthFixture {
  return {
    issuer: 'docksphere-auth',
    service: 'docksphere',
    publicKeyFile: undefined,
    jwksUrl: `${url}/auth/jwks.json`,
    upstream: new URL(url).host,
    realmFor: () => `${url}/auth/token`,
    users: [{ username: 'admin', password: 'e2e-admin-password' }],
    stop: async () => undefined,
  };
}
