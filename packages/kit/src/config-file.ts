// Where settings come from before config.ts types them: a YAML file (DOCKSPHERE_CONFIG or
// --config) whose keys are the environment variables' names in lower case, the environment over
// it, and NAME_FILE variables that read a secret's value from a file (Docker and Kubernetes secrets).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

/** Settings that may be given as NAME_FILE: the path of a file holding the value. */
export const SECRET_VARIABLES: readonly string[] = [
  'INTERNAL_SECRET',
  'ADMIN_PASSWORD',
  'DATABASE_URL',
  'REDIS_URL',
  'NATS_URL',
  'SMTP_URL',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'SECRETS_KEY',
];

/** Largest config or secret file read (both are a few lines). */
const MAX_FILE_BYTES = 1024 * 1024;

// Where each resolved setting came from, for error messages: `key "port" in /etc/docksphere.yaml`.
const origins = new WeakMap<Env, Map<string, string>>();

/** How an error names a setting: the variable, or the file key and file it came from. */
export function describeSetting(settings: Env, name: string): string {
  return origins.get(settings)?.get(name) ?? name;
}

/** The config file named by `--config FILE` (or `--config=FILE`), else by DOCKSPHERE_CONFIG. */
export function configFilePath(env: Env, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--config=')) return nonEmpty(arg.slice('--config='.length)) ?? missingConfigArgument();
    if (arg === '--config') return nonEmpty(argv[i + 1]) ?? missingConfigArgument();
  }
  return nonEmpty(env.DOCKSPHERE_CONFIG);
}

function missingConfigArgument(): never {
  throw new ConfigError('--config needs the path of a YAML config file');
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function readBounded(file: string, what: string): string {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  if (text.length > MAX_FILE_BYTES) throw new ConfigError(`${what} ${file} is larger than ${MAX_FILE_BYTES} bytes`);
  return text.toString('utf8');
}

/** The file's settings by variable name. Unknown keys, nesting and unparsable YAML are errors naming key and file. */
export function readConfigFile(file: string, known: ReadonlySet<string>): Map<string, string> {
  const allowed = new Set([...known, ...SECRET_VARIABLES.map((name) => `${name}_FILE`)]);
  const doc = parseDocument(readBounded(file, 'config file'), { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(`config file ${file} is not valid YAML: ${doc.errors[0]!.message}`);
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return new Map();
  if (typeof root !== 'object' || Array.isArray(root)) throw new ConfigError(`config file ${file} must be a mapping of keys to values (e.g. "port: 5000")`);
  const settings = new Map<string, string>();
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    const name = key.toUpperCase();
    if (key !== key.toLowerCase() || !allowed.has(name)) {
      const hint = allowed.has(name) ? ` (keys are lower case: "${key.toLowerCase()}")` : '';
      throw new ConfigError(`unknown key "${key}" in config file ${file}${hint}; the keys are the environment variables' names in lower case, see README "Configuration"`);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`key "${key}" in config file ${file} must be a string, number or boolean`);
    }
    settings.set(name, String(value));
  }
  return settings;
}

/**
 * The settings config.ts reads: the config file's, then the environment's over them (a variable
 * or its NAME_FILE form in the environment replaces both from the file), then each NAME_FILE read.
 */
export function resolveSettings(env: Env, argv: readonly string[], known: ReadonlySet<string>): Env {
  const settings: Env = {};
  const from = new Map<string, string>();
  origins.set(settings, from);
  const set = (name: string, value: string, origin: string) => {
    settings[name] = value;
    from.set(name, origin);
  };

  const file = configFilePath(env, argv);
  if (file !== undefined) {
    const absolute = path.resolve(file);
    for (const [name, value] of readConfigFile(absolute, known)) set(name, value, `key "${name.toLowerCase()}" in config file ${absolute}`);
  }

  const secrets = new Set(SECRET_VARIABLES);
  for (const name of known) {
    const direct = nonEmpty(env[name]);
    const viaFile = secrets.has(name) ? nonEmpty(env[`${name}_FILE`]) : undefined;
    if (direct === undefined && viaFile === undefined) continue;
    delete settings[name];
    delete settings[`${name}_FILE`];
    if (direct !== undefined) set(name, direct, name);
    if (viaFile !== undefined) set(`${name}_FILE`, viaFile, `${name}_FILE`);
  }

  for (const name of SECRET_VARIABLES) {
    const secretFile = settings[`${name}_FILE`];
    if (secretFile === undefined) continue;
    const fileOrigin = describeSetting(settings, `${name}_FILE`);
    if (settings[name] !== undefined) throw new ConfigError(`${describeSetting(settings, name)} and ${fileOrigin} are both set: give the value one way`);
    // A trailing newline is how editors and `echo` end a file, never part of a secret.
    const value = readBounded(secretFile, `${name}_FILE:`).replace(/\r?\n$/, '');
    if (value === '') throw new ConfigError(`${fileOrigin}: the file ${secretFile} is empty`);
    delete settings[`${name}_FILE`];
    set(name, value, `${name} (read from the file named by ${fileOrigin})`);
  }
  return settings;
}
