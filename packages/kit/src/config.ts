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

/** The auth service: accounts, sessions, 2FA, access tokens, LDAP, the Docker token service. */
export interface AuthConfig {
  /** Site admin created on first start; its password comes from ADMIN_PASSWORD or is generated once. */
  adminUsername: string;
  adminPassword: string | undefined;
  adminEmail: string;
  signupPolicy: 'open' | 'invite-only' | 'admin-only';
  /** Lifetime of registry bearer tokens (at least 60 s, as the Docker token spec asks). */
  tokenTtlSeconds: number;
  /** Lifetime of console access JWTs; the refresh cookie lives refreshTtlSeconds. */
  sessionTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Signing keys: a directory of PEM files (generated there on first start when keyGenerate). */
  keysDir: string;
  /** Explicit signing key file (distributed mode, mounted secret); overrides the newest key in keysDir. */
  signingKeyFile: string | undefined;
  keyGenerate: boolean;
  keyAlgorithm: 'ES256' | 'RS256';
  /** Where granted actions come from: the built-in rule, or metadata's POST /internal/access. */
  accessPolicy: 'builtin' | 'metadata';
  metadataUrl: string | undefined;
  /** redis://… for shared rate limits (distributed); unset keeps them in memory. */
  redisUrl: string | undefined;
  /** smtp://… or smtps://…; unset means password-reset mail cannot be sent (logged, never the link). */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Cookies get the Secure flag; default on when publicUrl is https. */
  secureCookies: boolean;
  resetTtlSeconds: number;
  rateLimit: { loginPerIpPerMinute: number; loginPerAccountPerMinute: number; tokenPerIpPerMinute: number; resetPerIpPerHour: number; failuresBeforeDelay: number };
  ldap: {
    url: string | undefined;
    /** DN of the user to bind as, with {username} replaced (escaped), e.g. uid={username},ou=people,dc=example,dc=org. */
    userDnTemplate: string;
    groupBaseDn: string | undefined;
    groupFilter: string;
    /** Group grants until metadata owns teams: "dev=foo/img/*:pull,push;ops=*:pull". */
    groupGrants: string | undefined;
    emailAttribute: string;
    displayNameAttribute: string;
    timeoutMs: number;
  };
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
  auth: AuthConfig;
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
    auth: loadAuthConfig(env, dataDir, publicUrl),
  };
}

function loadAuthConfig(env: Env, dataDir: string, publicUrl: string): AuthConfig {
  const tokenTtlSeconds = int(env, 'TOKEN_TTL_SECONDS', 300);
  if (tokenTtlSeconds < 60) throw new ConfigError(`TOKEN_TTL_SECONDS must be at least 60, got ${tokenTtlSeconds}`);
  const signingKeyFile = read(env, 'AUTH_SIGNING_KEY_FILE');
  return {
    adminUsername: read(env, 'ADMIN_USERNAME') ?? 'admin',
    adminPassword: read(env, 'ADMIN_PASSWORD'),
    adminEmail: read(env, 'ADMIN_EMAIL') ?? 'admin@localhost',
    signupPolicy: oneOf(env, 'SIGNUP_POLICY', ['open', 'invite-only', 'admin-only'] as const, 'admin-only'),
    tokenTtlSeconds,
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 600),
    refreshTtlSeconds: int(env, 'REFRESH_TTL_SECONDS', 14 * 24 * 3600),
    keysDir: path.resolve(read(env, 'AUTH_KEYS_DIR') ?? path.join(dataDir, 'auth-keys')),
    signingKeyFile: signingKeyFile ? path.resolve(signingKeyFile) : undefined,
    keyGenerate: bool(env, 'AUTH_KEYS_GENERATE', signingKeyFile === undefined),
    keyAlgorithm: oneOf(env, 'AUTH_KEY_ALGORITHM', ['ES256', 'RS256'] as const, 'ES256'),
    accessPolicy: oneOf(env, 'AUTH_ACCESS_POLICY', ['builtin', 'metadata'] as const, 'builtin'),
    metadataUrl: read(env, 'METADATA_URL'),
    redisUrl: read(env, 'REDIS_URL'),
    smtpUrl: read(env, 'SMTP_URL'),
    mailFrom: read(env, 'MAIL_FROM') ?? 'DockSphere <no-reply@localhost>',
    secureCookies: bool(env, 'SECURE_COOKIES', publicUrl.startsWith('https:')),
    resetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600),
    rateLimit: {
      loginPerIpPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_IP', 30),
      loginPerAccountPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_ACCOUNT', 10),
      tokenPerIpPerMinute: int(env, 'RATE_LIMIT_TOKEN_PER_IP', 600),
      resetPerIpPerHour: int(env, 'RATE_LIMIT_RESET_PER_IP', 10),
      failuresBeforeDelay: int(env, 'LOGIN_FAILURES_BEFORE_DELAY', 5),
    },
    ldap: {
      url: read(env, 'LDAP_URL'),
      userDnTemplate: read(env, 'LDAP_USER_DN_TEMPLATE') ?? 'uid={username},ou=people,dc=example,dc=org',
      groupBaseDn: read(env, 'LDAP_GROUP_BASE_DN'),
      groupFilter: read(env, 'LDAP_GROUP_FILTER') ?? '(&(objectClass=groupOfNames)(member={dn}))',
      groupGrants: read(env, 'LDAP_GROUP_GRANTS'),
      emailAttribute: read(env, 'LDAP_EMAIL_ATTRIBUTE') ?? 'mail',
      displayNameAttribute: read(env, 'LDAP_DISPLAY_NAME_ATTRIBUTE') ?? 'cn',
      timeoutMs: int(env, 'LDAP_TIMEOUT_MS', 5000),
    },
  };
}
