// Runs once before the e2e suites: builds the bundles they spawn, so `vitest --config
// e2e/vitest.config.ts` alone tests the current source, not a stale dist/. A failed build is
// handed to the tests (inject('buildError')): those that spawn a bundle fail with it, the rest run.
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { repoRoot } from './paths.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    buildError: string | undefined;
  }
}

export default function setup(project: TestProject): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  const failed = r.status !== 0 ? `scripts/build.mjs failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}${r.stdout}`.slice(0, 8000) : undefined;
  if (failed) console.error(`[e2e] ${failed}`);
  project.provide('buildError', failed);
}
