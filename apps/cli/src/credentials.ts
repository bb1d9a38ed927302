// The CLI's token kept where Docker keeps registry credentials, so `docker push` to the same host
// works after `docksphere login`: $DOCKER_CONFIG/config.json (default ~/.docker). A credential
// helper named by credHelpers[host] or credsStore is used through the docker-credential-* protocol
// (store/get/erase, JSON on stdin/stdout); without one, the entry is a base64 "auth" in the file,
// written with mode 0600, and the CLI says so.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './exit-codes.ts';

export interface StoredCredentials {
  username: string;
  secret: string;
}

export type CredentialsLocation = { kind: 'helper'; helper: string } | { kind: 'file'; file: string };

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

const MAX_CONFIG = 4 * 1024 * 1024;

export function dockerConfigFile(): string {
  return path.join(process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
}

function readDockerConfig(): DockerConfig {
  let text: string;
  try {
    text = readFileSync(dockerConfigFile(), 'utf8');
  } catch {
    return {};
  }
  if (text.length > MAX_CONFIG) throw new CliError(`${dockerConfigFile()} is larger than 4 MiB`);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as DockerConfig;
  } catch {
    throw new CliError(`${dockerConfigFile()} is not valid JSON: fix it, the CLI will not overwrite it`);
  }
}

function writeDockerConfig(config: DockerConfig): void {
  const target = dockerConfigFile();
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, target);
  chmodSync(target, 0o600);
}

/** The helper Docker would use for this host, if any (credHelpers wins over credsStore). */
function helperFor(config: DockerConfig, host: string): string | undefined {
  const name = config.credHelpers?.[host] ?? config.credsStore;
  if (name === undefined || name === '') return undefined;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new CliError(`credential helper name ${JSON.stringify(name)} in ${dockerConfigFile()} is not valid`);
  return name;
}

function runHelper(helper: string, action: 'store' | 'get' | 'erase', input: string): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(`docker-credential-${helper}`, [action], { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 1024 * 1024 });
  if (result.error) throw new CliError(`credential helper docker-credential-${helper} could not run: ${result.error.message}`);
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr || result.stdout };
}

/** Where the credentials of this host go: the helper Docker would use, else the config file. */
export function credentialsLocation(host: string): CredentialsLocation {
  const helper = helperFor(readDockerConfig(), host);
  return helper ? { kind: 'helper', helper } : { kind: 'file', file: dockerConfigFile() };
}

export function storeCredentials(host: string, creds: StoredCredentials): CredentialsLocation {
  const config = readDockerConfig();
  const helper = helperFor(config, host);
  if (helper) {
    const r = runHelper(helper, 'store', JSON.stringify({ ServerURL: host, Username: creds.username, Secret: creds.secret }));
    if (!r.ok) throw new CliError(`docker-credential-${helper} store failed: ${r.stderr.trim().slice(0, 300)}`);
    // Docker lists helper-stored hosts in auths with an empty entry.
    config.auths = { ...config.auths, [host]: {} };
    writeDockerConfig(config);
    return { kind: 'helper', helper };
  }
  const auth = Buffer.from(`${creds.username}:${creds.secret}`).toString('base64');
  config.auths = { ...config.auths, [host]: { auth } };
  writeDockerConfig(config);
  return { kind: 'file', file: dockerConfigFile() };
}

export function loadCredentials(host: string): StoredCredentials | undefined {
  const config = readDockerConfig();
  const helper = helperFor(config, host);
  if (helper) {
    const r = runHelper(helper, 'get', host);
    if (!r.ok) return undefined; // "credentials not found in native keychain"
    try {
      const parsed = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
      return parsed.Secret ? { username: parsed.Username ?? '', secret: parsed.Secret } : undefined;
    } catch {
      throw new CliError(`docker-credential-${helper} get answered something that is not JSON`);
    }
  }
  const entry = config.auths?.[host] ?? config.auths?.[`http://${host}`] ?? config.auths?.[`https://${host}`];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function eraseCredentials(host: string): void {
  const config = readDockerConfig();
  const helper = helperFor(config, host);
  if (helper) {
    const r = runHelper(helper, 'erase', host);
    if (!r.ok && !/not found/i.test(r.stderr)) throw new CliError(`docker-credential-${helper} erase failed: ${r.stderr.trim().slice(0, 300)}`);
  }
  if (config.auths && host in config.auths) {
    delete config.auths[host];
    writeDockerConfig(config);
  }
}
