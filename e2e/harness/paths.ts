// Where the repository and its bundled entry points are, for harness code that spawns them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const bundles = {
  allInOne: path.join(repoRoot, 'apps/all-in-one/dist/main.mjs'),
  registry: path.join(repoRoot, 'services/registry/dist/main.mjs'),
  auth: path.join(repoRoot, 'services/auth/dist/main.mjs'),
} as const;

/** Throws a clear error when the build failed or a bundle is missing (the global setup builds them). */
export function requireBundle(file: string): string {
  const buildError = buildErrorFromSetup();
  if (buildError) throw new Error(buildError);
  if (!existsSync(file)) throw new Error(`${path.relative(repoRoot, file)} does not exist: its source is missing, so scripts/build.mjs did not build it`);
  return file;
}

/** The global setup's build failure, when running under vitest; outside it (bench, scripts) none. */
function buildErrorFromSetup(): string | undefined {
  try {
    return inject('buildError');
  } catch {
    return undefined;
  }
}
