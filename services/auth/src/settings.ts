// Turns the loaded config into the options of the key store and the admin bootstrap.
import type { DockSphereConfig } from '@docksphere/kit';
import type { KeyStoreOptions } from './domain/keys.ts';
import type { BootstrapOptions } from './domain/bootstrap.ts';

export function keyStoreOptions(config: DockSphereConfig): KeyStoreOptions {
  const a = config.auth;
  return {
    keysDir: a.keysDir,
    signingKeyFile: a.signingKeyFile,
    generate: a.keyGenerate,
    algorithm: a.keyAlgorithm,
    // A superseded key stays published while any token it signed may still be in use.
    retireAfterSeconds: Math.max(a.tokenTtlSeconds, a.sessionTtlSeconds, 300) * 2,
  };
}

export function adminOptions(config: DockSphereConfig): BootstrapOptions {
  return { username: config.auth.adminUsername, email: config.auth.adminEmail, password: config.auth.adminPassword };
}
