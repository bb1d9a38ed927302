// The real auth service (services/auth/dist/main.mjs) as the harness's token issuer: its own
// embedded database and generated signing keys in a temp dir, the site admin from ADMIN_PASSWORD.
import path from 'node:path';
import { freePort, makeTempDir } from '@docksphere/infra';
import type { RegistryAuthFixture } from './auth-fixture.ts';
import { startNodeService, type RunningNodeService } from './node-service.ts';
import { bundles, requireBundle } from './paths.ts';

export const AUTH_ADMIN = { username: 'admin', password: 'e2e-admin-password' } as const;

export interface AuthServiceFixture extends RegistryAuthFixture {
  /** http://127.0.0.1:PORT of the auth process itself (for /api/auth calls that skip NGINX). */
  url: string;
  /** Where the signing keys live (tests that forge tokens read the private key here). */
  keysDir: string;
  service: string;
  process: RunningNodeService;
}

export async function startAuthService(opts: { env?: Record<string, string> } = {}): Promise<AuthServiceFixture> {
  const bundle = requireBundle(bundles.auth);
  const temp = makeTempDir('auth');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const keysDir = path.join(temp.dir, 'keys');
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: path.join(temp.dir, 'data'),
    AUTH_KEYS_DIR: keysDir,
    ADMIN_USERNAME: AUTH_ADMIN.username,
    ADMIN_PASSWORD: AUTH_ADMIN.password,
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  let service: RunningNodeService;
  try {
    service = await startNodeService({ name: 'auth', bundle, port, env, logFile: path.join(temp.dir, 'auth.log'), readyPath: '/auth/jwks.json' });
  } catch (err) {
    temp.remove();
    throw err;
  }
  return {
    url,
    keysDir,
    process: service,
    issuer: env.AUTH_ISSUER ?? 'docksphere-auth',
    service: env.AUTH_SERVICE ?? 'docksphere',
    publicKeyFile: undefined,
    jwksUrl: `${url}/auth/jwks.json`,
    upstream: `127.0.0.1:${port}`,
    realmFor: (publicUrl) => `${publicUrl ?? url}/auth/token`,
    users: [{ ...AUTH_ADMIN }],
    async stop() {
      await service.stop();
      temp.remove();
    },
  };
}
