// The one config loader: every setting DockSphere reads from the environment, typed, with its default.
// Each service takes its own section; README's configuration table lists these same variables.
import path from 'node:path';

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

function read(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
function int(env: Env, name: string, fallback: number): number {
  const v = read(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}
function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = read(env, name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}
function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = read(env, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** The URL clients use to reach DockSphere (token realm, Location headers are relative). */
  publicUrl: string;
  logLevel: string;
  /** Shared secret for /internal/* calls between services. */
  internalSecret: string | undefined;
}

export interface DatabaseConfig {
  /** postgres://… for a real server; unset means embedded PGlite under dataDir. */
  url: string | undefined;
  dataDir: string;
}

export interface StorageConfig {
  driver: 'filesystem' | 's3';
  dir: string;
  s3: {
    endpoint: string | undefined;
    region: string;
    bucket: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    forcePathStyle: boolean;
    /** Answer blob GETs with a presigned redirect instead of streaming through the registry. */
    redirect: boolean;
  };
  /** For the filesystem driver behind NGINX: prefix of the internal location that serves blob files. */
  accelPrefix: string | undefined;
}

export interface RegistryAuthConfig {
  /** none = no authentication at all: a development setting, logged loudly at start. */
  mode: 'token' | 'none';
  realm: string;
  service: string;
  issuer: string;
  jwksUrl: string | undefined;
  publicKeyFile: string | undefined;
}

export interface RegistryConfig {
  auth: RegistryAuthConfig;
  /** Abandoned upload sessions are removed after this many seconds without activity. */
  uploadTtlSeconds: number;
  /** Largest manifest accepted, in bytes. */
  maxManifestBytes: number;
  /** Largest page size for tags/list, _catalog and referrers. */
  maxPageSize: number;
  /** Sample rate for image-pulled events: 1 = every pull, 0 = none. */
  pullEventSampleRate: number;
}

export interface EventsConfig {
  /** nats://… for JetStream; unset means the in-process bus. */
  natsUrl: string | undefined;
}

export interface DockSphereConfig {
  server: ServerConfig;
  database: DatabaseConfig;
  storage: StorageConfig;
  registry: RegistryConfig;
  events: EventsConfig;
  dataDir: string;
}

export function loadConfig(env: Env = process.env): DockSphereConfig {
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? '.data');
  const port = int(env, 'PORT', 5000);
  const host = read(env, 'HOST') ?? '0.0.0.0';
  const publicUrl = (read(env, 'PUBLIC_URL') ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  const sampleRaw = read(env, 'PULL_EVENT_SAMPLE_RATE');
  const pullEventSampleRate = sampleRaw === undefined ? 1 : Number(sampleRaw);
  if (!(pullEventSampleRate >= 0 && pullEventSampleRate <= 1)) throw new ConfigError(`PULL_EVENT_SAMPLE_RATE must be between 0 and 1, got "${sampleRaw}"`);
  return {
    dataDir,
    server: {
      host,
      port,
      publicUrl,
      logLevel: read(env, 'LOG_LEVEL') ?? 'info',
      internalSecret: read(env, 'INTERNAL_SECRET'),
    },
    database: { url: read(env, 'DATABASE_URL'), dataDir: path.resolve(read(env, 'PGLITE_DIR') ?? path.join(dataDir, 'pglite')) },
    storage: {
      driver: oneOf(env, 'STORAGE_DRIVER', ['filesystem', 's3'] as const, 'filesystem'),
      dir: path.resolve(read(env, 'STORAGE_DIR') ?? path.join(dataDir, 'storage')),
      s3: {
        endpoint: read(env, 'S3_ENDPOINT'),
        region: read(env, 'S3_REGION') ?? 'us-east-1',
        bucket: read(env, 'S3_BUCKET') ?? 'docksphere',
        accessKeyId: read(env, 'S3_ACCESS_KEY_ID'),
        secretAccessKey: read(env, 'S3_SECRET_ACCESS_KEY'),
        forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
        redirect: bool(env, 'S3_REDIRECT', false),
      },
      accelPrefix: read(env, 'STORAGE_ACCEL_PREFIX'),
    },
    registry: {
      auth: {
        mode: oneOf(env, 'REGISTRY_AUTH', ['token', 'none'] as const, 'token'),
        realm: read(env, 'AUTH_REALM') ?? `${publicUrl}/auth/token`,
        service: read(env, 'AUTH_SERVICE') ?? 'docksphere',
        issuer: read(env, 'AUTH_ISSUER') ?? 'docksphere-auth',
        jwksUrl: read(env, 'AUTH_JWKS_URL'),
        publicKeyFile: read(env, 'AUTH_PUBLIC_KEY_FILE'),
      },
      uploadTtlSeconds: int(env, 'UPLOAD_TTL_SECONDS', 24 * 3600),
      maxManifestBytes: int(env, 'MAX_MANIFEST_BYTES', 4 * 1024 * 1024),
      maxPageSize: int(env, 'MAX_PAGE_SIZE', 1000),
      pullEventSampleRate,
    },
    events: { natsUrl: read(env, 'NATS_URL') },
  };
}
