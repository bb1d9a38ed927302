// The one config loader: every setting DockSphere reads from the environment (or from a YAML file
// with the same keys, see config-file.ts), typed, with its default. Each service takes its own
// section; README's configuration table lists these same variables.
import { isIP } from 'node:net';
import path from 'node:path';
import type { SecretsConfig } from './secret-box.ts';
import { ConfigError, describeSetting, resolveSettings, type Env } from './config-file.ts';

export { ConfigError, SECRET_VARIABLES, configFilePath } from './config-file.ts';

function optionalPath(value: string | undefined): string | undefined {
  return value === undefined ? undefined : path.resolve(value);
}

function read(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
function int(env: Env, name: string, fallback: number): number {
  const v = read(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${describeSetting(env, name)} must be a non-negative integer, got "${v}"`);
  return n;
}
function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = read(env, name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${describeSetting(env, name)} must be true or false, got "${v}"`);
}
function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = read(env, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${describeSetting(env, name)} must be one of ${allowed.join(', ')}, got "${v}"`);
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
  /** The web console's built files (apps/web/out); unset means the all-in-one's own copy. */
  webDir: string | undefined;
  /** Serve HTTPS with this certificate and key (PEM files, reloaded when they change); unset: plain HTTP. */
  tls: TlsFiles | undefined;
  /**
   * Proxies whose X-Forwarded-* headers are believed (TRUSTED_PROXIES: addresses or CIDRs, comma
   * separated). Empty: the socket's address is the client's (all-in-one default).
   */
  trustedProxies: string[];
  timeouts: HttpTimeouts;
}

/** How long a connection may keep the server waiting (SERVER_*_TIMEOUT_MS, SHUTDOWN_DRAIN_MS). */
export interface HttpTimeouts {
  /** Whole request head (request line and headers) must arrive within this. */
  headersMs: number;
  /** A request body that sends nothing for this long is cut (an upload over a slow link still sends). */
  bodyIdleMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** On SIGTERM, in-flight requests get this long to finish before their connections are closed. */
  drainMs: number;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface DatabaseConfig {
  /** postgres://… for a real server; unset means embedded PGlite under dataDir. */
  url: string | undefined;
  dataDir: string;
  /** PGlite: do not wait for each write's flush to disk (PGLITE_RELAXED_DURABILITY). */
  pgliteRelaxedDurability: boolean;
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
  /** Most upload sessions one user may hold open (MAX_UPLOAD_SESSIONS_PER_USER; 0: no bound). */
  maxUploadSessionsPerUser: number;
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
  rateLimit: {
    /** Console login attempts per address per minute. */
    loginPerIpPerMinute: number;
    /** Failed logins per account per minute, from all addresses, before the account guard starts. */
    loginPerAccountPerMinute: number;
    /** How long the account guard lasts: addresses that failed on the account are refused meanwhile. */
    accountGuardSeconds: number;
    /** Failed credential checks per address per minute, on any account and channel. */
    failuresPerIpPerMinute: number;
    /** Tokens issued per address per minute (successes and anonymous requests; failures count apart). */
    tokenPerIpPerMinute: number;
    resetPerIpPerHour: number;
    failuresBeforeDelay: number;
  };
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

/** The metadata service: namespaces, teams, repositories, permissions, docs. */
export interface MetadataConfig {
  /** Visibility of a repository created by its first push (the API names it explicitly). */
  defaultVisibility: 'public' | 'private';
  /** Largest avatar image accepted, in bytes. */
  maxAvatarBytes: number;
  /** Largest Markdown document (repository docs, documentation pages), in bytes. */
  maxDocBytes: number;
  /** Largest page size of every /api list; the default page size is min(50, this). */
  maxPageSize: number;
}

export interface EventsConfig {
  /** nats://… for JetStream; unset means the in-process bus. */
  natsUrl: string | undefined;
}

/** The hooks service: audit trail, webhooks and alerts. */
export interface HooksConfig {
  /** redis://… for BullMQ deliveries (distributed); unset means the in-process queue. Same REDIS_URL as auth. */
  redisUrl: string | undefined;
  /** Audit entries older than this many days are pruned (0 keeps them forever). */
  auditRetentionDays: number;
  /** Webhook delivery logs older than this many days are pruned. */
  deliveryRetentionDays: number;
  /** CIDRs webhook targets may use although they are loopback/private/link-local ("127.0.0.1/32,10.0.0.0/8"). */
  webhookAllowlist: string[];
  delivery: {
    /** Attempts per delivery before it is given up. */
    maxAttempts: number;
    /** First retry delay; each further retry doubles it (with jitter) up to backoffMaxMs. */
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** Whole-request timeout of one attempt. */
    timeoutMs: number;
    /** Attempts running at once against one subscription's endpoint. */
    perEndpointConcurrency: number;
    /** Attempts running at once in one hooks process. */
    workerConcurrency: number;
    /** Consecutive failed deliveries after which a subscription is disabled (and an alert raised). */
    disableAfterFailures: number;
  };
  alerts: {
    /** Failed logins for one account within failedLoginWindowMinutes that raise an alert. */
    failedLoginThreshold: number;
    failedLoginWindowMinutes: number;
  };
}

export interface DockSphereConfig {
  server: ServerConfig;
  database: DatabaseConfig;
  storage: StorageConfig;
  registry: RegistryConfig;
  events: EventsConfig;
  auth: AuthConfig;
  metadata: MetadataConfig;
  hooks: HooksConfig;
  dataDir: string;
  /** Key(s) that encrypt TOTP seeds and webhook signing secrets at rest (see SecretBox). */
  secrets: SecretsConfig;
}

export interface LoadConfigOptions {
  /** Command-line arguments searched for `--config FILE` (default: this process's when env is process.env). */
  argv?: readonly string[];
}

/**
 * Reads the settings: environment variables over the YAML file named by `--config` or
 * DOCKSPHERE_CONFIG, with `NAME_FILE` variables read for secrets (see config-file.ts).
 */
export function loadConfig(env?: Env, options: LoadConfigOptions = {}): DockSphereConfig {
  const argv = options.argv ?? (env === undefined ? process.argv.slice(2) : []);
  return configFromSettings(resolveSettings(env ?? process.env, argv, knownVariables()));
}

let known: ReadonlySet<string> | undefined;
/** Every variable the loader reads, recorded once by loading the defaults through a recording env. */
export function knownVariables(): ReadonlySet<string> {
  if (known) return known;
  const names = new Set<string>();
  configFromSettings(
    new Proxy({} as Env, {
      get(_target, name) {
        if (typeof name === 'string') names.add(name);
        return undefined;
      },
    }),
  );
  known = names;
  return names;
}

function configFromSettings(env: Env): DockSphereConfig {
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? '.data');
  const port = int(env, 'PORT', 5000);
  const host = read(env, 'HOST') ?? '0.0.0.0';
  const tls = tlsFiles(env);
  const publicUrl = (read(env, 'PUBLIC_URL') ?? `${tls ? 'https' : 'http'}://127.0.0.1:${port}`).replace(/\/+$/, '');
  const sampleRaw = read(env, 'PULL_EVENT_SAMPLE_RATE');
  const pullEventSampleRate = sampleRaw === undefined ? 1 : Number(sampleRaw);
  if (!(pullEventSampleRate >= 0 && pullEventSampleRate <= 1)) throw new ConfigError(`${describeSetting(env, 'PULL_EVENT_SAMPLE_RATE')} must be between 0 and 1, got "${sampleRaw}"`);
  return {
    dataDir,
    secrets: {
      // SECRETS_KEY_FILE (one key a line) is read into SECRETS_KEY by config-file.ts.
      keys: read(env, 'SECRETS_KEY'),
      generatedKeyFile: path.join(dataDir, 'secrets.key'),
    },
    server: {
      host,
      port,
      publicUrl,
      logLevel: read(env, 'LOG_LEVEL') ?? 'info',
      internalSecret: read(env, 'INTERNAL_SECRET'),
      webDir: optionalPath(read(env, 'WEB_DIR')),
      tls,
      trustedProxies: trustedProxies(env),
      timeouts: {
        headersMs: positive(env, 'SERVER_HEADERS_TIMEOUT_MS', 30_000),
        bodyIdleMs: positive(env, 'SERVER_BODY_IDLE_TIMEOUT_MS', 120_000),
        keepAliveMs: positive(env, 'SERVER_KEEPALIVE_TIMEOUT_MS', 65_000),
        drainMs: int(env, 'SHUTDOWN_DRAIN_MS', 120_000),
      },
    },
    database: { url: read(env, 'DATABASE_URL'), dataDir: path.resolve(read(env, 'PGLITE_DIR') ?? path.join(dataDir, 'pglite')), pgliteRelaxedDurability: bool(env, 'PGLITE_RELAXED_DURABILITY', true) },
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
      maxUploadSessionsPerUser: int(env, 'MAX_UPLOAD_SESSIONS_PER_USER', 200),
    },
    events: { natsUrl: read(env, 'NATS_URL') },
    auth: loadAuthConfig(env, dataDir, publicUrl),
    metadata: {
      defaultVisibility: oneOf(env, 'METADATA_DEFAULT_VISIBILITY', ['public', 'private'] as const, 'private'),
      maxAvatarBytes: int(env, 'METADATA_MAX_AVATAR_BYTES', 512 * 1024),
      maxDocBytes: int(env, 'METADATA_MAX_DOC_BYTES', 256 * 1024),
      maxPageSize: Math.max(1, int(env, 'METADATA_MAX_PAGE_SIZE', 200)),
    },
    hooks: loadHooksConfig(env),
  };
}

function positive(env: Env, name: string, fallback: number): number {
  const n = int(env, name, fallback);
  if (n < 1) throw new ConfigError(`${describeSetting(env, name)} must be at least 1, got ${n}`);
  return n;
}

function trustedProxies(env: Env): string[] {
  const entries = (read(env, 'TRUSTED_PROXIES') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError(`${describeSetting(env, 'TRUSTED_PROXIES')} entries must be IP addresses or CIDRs, got "${entry}"`);
    }
  }
  return entries;
}

function tlsFiles(env: Env): TlsFiles | undefined {
  const certFile = read(env, 'TLS_CERT_FILE');
  const keyFile = read(env, 'TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(`${describeSetting(env, certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE')} must be set too: HTTPS needs both TLS_CERT_FILE and TLS_KEY_FILE`);
  }
  return { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
}

function loadHooksConfig(env: Env): HooksConfig {
  const atLeastOne = (name: string, fallback: number): number => {
    const n = int(env, name, fallback);
    if (n < 1) throw new ConfigError(`${describeSetting(env, name)} must be at least 1, got ${n}`);
    return n;
  };
  const webhookAllowlist = (read(env, 'WEBHOOK_ALLOWLIST') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const cidr of webhookAllowlist) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(cidr)) throw new ConfigError(`${describeSetting(env, 'WEBHOOK_ALLOWLIST')} entries must be IP addresses or CIDRs, got "${cidr}"`);
  }
  return {
    redisUrl: read(env, 'REDIS_URL'),
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365),
    deliveryRetentionDays: atLeastOne('WEBHOOK_DELIVERY_RETENTION_DAYS', 30),
    webhookAllowlist,
    delivery: {
      maxAttempts: atLeastOne('WEBHOOK_MAX_ATTEMPTS', 8),
      backoffBaseMs: atLeastOne('WEBHOOK_BACKOFF_BASE_MS', 5_000),
      backoffMaxMs: atLeastOne('WEBHOOK_BACKOFF_MAX_MS', 3_600_000),
      timeoutMs: atLeastOne('WEBHOOK_TIMEOUT_MS', 10_000),
      perEndpointConcurrency: atLeastOne('WEBHOOK_ENDPOINT_CONCURRENCY', 2),
      workerConcurrency: atLeastOne('WEBHOOK_WORKER_CONCURRENCY', 16),
      disableAfterFailures: atLeastOne('WEBHOOK_DISABLE_AFTER_FAILURES', 5),
    },
    alerts: {
      failedLoginThreshold: atLeastOne('ALERT_FAILED_LOGINS', 5),
      failedLoginWindowMinutes: atLeastOne('ALERT_FAILED_LOGIN_WINDOW_MINUTES', 10),
    },
  };
}

function loadAuthConfig(env: Env, dataDir: string, publicUrl: string): AuthConfig {
  const tokenTtlSeconds = int(env, 'TOKEN_TTL_SECONDS', 300);
  if (tokenTtlSeconds < 60) throw new ConfigError(`${describeSetting(env, 'TOKEN_TTL_SECONDS')} must be at least 60, got ${tokenTtlSeconds}`);
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
      accountGuardSeconds: int(env, 'LOGIN_ACCOUNT_GUARD_SECONDS', 900),
      failuresPerIpPerMinute: int(env, 'RATE_LIMIT_FAILURES_PER_IP', 30),
      // Generous: clients that fetch a token per request (no token cache) must never be refused.
      tokenPerIpPerMinute: int(env, 'RATE_LIMIT_TOKEN_PER_IP', 6000),
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
