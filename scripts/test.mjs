// `npm test`: type-check, lint, unit and integration tests, then the end-to-end suites that
// start real servers and clients (see e2e/README.md). Stops at the first failing stage.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const stages = [
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json']],
  ['typecheck (web console)', bin('tsc'), ['-p', 'apps/web/tsconfig.json']],
  ['lint', bin('eslint'), ['.']],
  ['build', process.execPath, ['scripts/build.mjs']],
  ['unit and integration', bin('vitest'), ['run']],
];
if (existsSync(path.join(root, 'e2e', 'vitest.config.ts'))) {
  stages.push(['end-to-end', bin('vitest'), ['run', '--config', 'e2e/vitest.config.ts']]);
}

for (const [name, cmd, args] of stages) {
  console.log(`\n[docksphere test] ${name}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  console.log(`[docksphere test] ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
