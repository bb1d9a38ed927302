import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, SECRET_VARIABLES, knownVariables, loadConfig } from './config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ds-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(text: string): string {
  const p = path.join(dir, `f${files++}.yaml`);
  writeFileSync(p, text);
  return p;
}

// One value per kind of setting: text, integers, booleans, enums, a list, secrets.
const settings: Record<string, string> = {
  PORT: '5443',
  PUBLIC_URL: 'https://registry.example.org',
  DATABASE_URL: 'postgres://ds:pw@db:5432/docksphere',
  STORAGE_DRIVER: 's3',
  S3_BUCKET: 'images',
  S3_FORCE_PATH_STYLE: 'false',
  TOKEN_TTL_SECONDS: '120',
  SIGNUP_POLICY: 'open',
  WEBHOOK_ALLOWLIST: '10.0.0.0/8,127.0.0.1/32',
  ADMIN_PASSWORD: 'first password',
  INTERNAL_SECRET: 'between services',
  TLS_CERT_FILE: '/etc/docksphere/tls.crt',
  TLS_KEY_FILE: '/etc/docksphere/tls.key',
};

describe('config file (DOCKSPHERE_CONFIG, --config)', () => {
  it('gives the same config from the file as from the environment, for every setting', () => {
    const fromEnv = loadConfig({ ...settings });
    const yaml = Object.entries(settings)
      .map(([name, value]) => `${name.toLowerCase()}: ${/^\d+$|^(true|false)$/.test(value) ? value : JSON.stringify(value)}`)
      .join('\n');
    const fromFile = loadConfig({ DOCKSPHERE_CONFIG: file(yaml) });
    expect(fromFile).toEqual(fromEnv);
    expect(fromFile.server.port).toBe(5443);
    expect(fromFile.storage.s3.forcePathStyle).toBe(false);
    expect(fromFile.hooks.webhookAllowlist).toEqual(['10.0.0.0/8', '127.0.0.1/32']);
    expect(fromFile.server.tls).toEqual({ certFile: '/etc/docksphere/tls.crt', keyFile: '/etc/docksphere/tls.key' });
  });

  it('takes each variable from the file alone as it does from the environment alone', () => {
    for (const [name, value] of Object.entries(settings)) {
      const single: Record<string, string> = { [name]: value };
      // HTTPS needs both halves; give the other one by the same route.
      if (name === 'TLS_CERT_FILE') single.TLS_KEY_FILE = settings.TLS_KEY_FILE!;
      if (name === 'TLS_KEY_FILE') single.TLS_CERT_FILE = settings.TLS_CERT_FILE!;
      const yaml = Object.entries(single).map(([n, v]) => `${n.toLowerCase()}: ${JSON.stringify(v)}`).join('\n');
      expect(loadConfig({ DOCKSPHERE_CONFIG: file(yaml) }), name).toEqual(loadConfig(single));
    }
  });

  it('finds the file from --config and --config=, before DOCKSPHERE_CONFIG', () => {
    const a = file('port: 6001\n');
    const b = file('port: 6002\n');
    expect(loadConfig({ DOCKSPHERE_CONFIG: b }, { argv: ['--config', a] }).server.port).toBe(6001);
    expect(loadConfig({}, { argv: [`--config=${a}`] }).server.port).toBe(6001);
    expect(() => loadConfig({}, { argv: ['--config'] })).toThrow(/--config needs the path/);
  });

  it('lets environment variables override the file', () => {
    const f = file('port: 6001\nlog_level: debug\n');
    const config = loadConfig({ DOCKSPHERE_CONFIG: f, PORT: '6003' });
    expect(config.server.port).toBe(6003);
    expect(config.server.logLevel).toBe('debug');
  });

  it('stops with a message naming the key and the file for a bad value', () => {
    const f = file('port: many\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: f })).toThrow(ConfigError);
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: f })).toThrow(`key "port" in config file ${f} must be a non-negative integer, got "many"`);
    const g = file('signup_policy: sometimes\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: g })).toThrow(`key "signup_policy" in config file ${g} must be one of open, invite-only, admin-only`);
    // The same value from the environment names the variable.
    expect(() => loadConfig({ PORT: 'many' })).toThrow('PORT must be a non-negative integer, got "many"');
  });

  it('refuses unknown keys, upper-case keys, nested values, bad YAML and a missing file, naming key and file', () => {
    const unknown = file('prot: 5000\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: unknown })).toThrow(`unknown key "prot" in config file ${unknown}`);
    const upper = file('PORT: 5000\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: upper })).toThrow(/unknown key "PORT" .*keys are lower case: "port"/);
    const nested = file('s3_bucket:\n  name: x\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: nested })).toThrow(`key "s3_bucket" in config file ${nested} must be a string, number or boolean`);
    const broken = file('port: [5000\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: broken })).toThrow(`config file ${broken} is not valid YAML`);
    const list = file('- port\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: list })).toThrow(`config file ${list} must be a mapping`);
    const missing = path.join(dir, 'nope.yaml');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: missing })).toThrow(`cannot read config file ${missing}`);
  });

  it('knows every variable README documents and the loader reads', () => {
    const known = knownVariables();
    for (const name of ['PORT', 'DATABASE_URL', 'S3_SECRET_ACCESS_KEY', 'LDAP_TIMEOUT_MS', 'ALERT_FAILED_LOGIN_WINDOW_MINUTES', 'TLS_CERT_FILE', 'TLS_KEY_FILE']) {
      expect(known.has(name), name).toBe(true);
    }
    for (const name of SECRET_VARIABLES) expect(known.has(name), name).toBe(true);
  });
});

describe('secrets from files (NAME_FILE)', () => {
  it('reads each secret variable from the file its _FILE variable names, without the trailing newline', () => {
    for (const name of SECRET_VARIABLES) {
      const value = name.endsWith('_URL') ? 'redis://user:secret@host:1/0' : 's3cr3t value';
      const secret = file(`${value}\n`);
      expect(loadConfig({ [`${name}_FILE`]: secret }), name).toEqual(loadConfig({ [name]: value }));
      // and from the config file's *_file key
      const yaml = file(`${name.toLowerCase()}_file: ${secret}\n`);
      expect(loadConfig({ DOCKSPHERE_CONFIG: yaml }), name).toEqual(loadConfig({ [name]: value }));
    }
  });

  it('refuses a secret given both ways, or an empty or missing secret file', () => {
    const secret = file('pw\n');
    expect(() => loadConfig({ ADMIN_PASSWORD: 'a', ADMIN_PASSWORD_FILE: secret })).toThrow('ADMIN_PASSWORD and ADMIN_PASSWORD_FILE are both set');
    expect(() => loadConfig({ ADMIN_PASSWORD_FILE: file('') })).toThrow(/ADMIN_PASSWORD_FILE: the file .* is empty/);
    expect(() => loadConfig({ ADMIN_PASSWORD_FILE: path.join(dir, 'absent') })).toThrow(/cannot read ADMIN_PASSWORD_FILE:/);
  });

  it('lets the environment replace a secret the file gives, whichever form each uses', () => {
    const secret = file('from-secret-file\n');
    const yaml = file(`internal_secret: from-config\n`);
    expect(loadConfig({ DOCKSPHERE_CONFIG: yaml, INTERNAL_SECRET_FILE: secret }).server.internalSecret).toBe('from-secret-file');
    const yaml2 = file(`internal_secret_file: ${secret}\n`);
    expect(loadConfig({ DOCKSPHERE_CONFIG: yaml2, INTERNAL_SECRET: 'from-env' }).server.internalSecret).toBe('from-env');
  });

  it('is not a way to read files for settings that are not secrets', () => {
    const f = file('port_file: /etc/passwd\n');
    expect(() => loadConfig({ DOCKSPHERE_CONFIG: f })).toThrow(`unknown key "port_file"`);
    expect(loadConfig({ PORT_FILE: '/etc/passwd' }).server.port).toBe(5000);
  });
});

describe('TLS settings', () => {
  it('needs both files, and makes the default public URL and token realm https', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/x.crt' })).toThrow('TLS_KEY_FILE must be set too');
    const config = loadConfig({ TLS_CERT_FILE: '/x.crt', TLS_KEY_FILE: '/x.key', PORT: '5443' });
    expect(config.server.publicUrl).toBe('https://127.0.0.1:5443');
    expect(config.registry.auth.realm).toBe('https://127.0.0.1:5443/auth/token');
    expect(config.auth.secureCookies).toBe(true);
  });
});
