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

const INSTALL = 'sudo bash infra/install-system-deps.sh';

/** The Debian packages the suites need that are not installed ([] when all are; undefined when this is no Debian-like system). */
function missingSystemPackages() {
  if (spawnSync('sh', ['-c', 'command -v dpkg-query'], { stdio: 'ignore' }).status !== 0) return undefined;
  const r = spawnSync('bash', [path.join(root, 'infra', 'install-system-deps.sh'), '--check'], { cwd: root, encoding: 'utf8' });
  return r.stdout.trim().split(/\s+/).filter(Boolean);
}

// The suites start real servers and clients (PostgreSQL, Redis, NATS, NGINX, docker, skopeo, ...).
// As root the missing ones are installed here, as .ci/run does; otherwise the suites that need them
// skip (or fail under CI=true), and the run ends with a summary naming the command that installs them.
let missing = missingSystemPackages();
if (missing && missing.length > 0 && process.getuid?.() === 0) {
  console.log(`\n[docksphere test] installing the system packages the suites need: ${missing.join(' ')}`);
  const r = spawnSync('bash', [path.join(root, 'infra', 'install-system-deps.sh')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.log('[docksphere test] infra/install-system-deps.sh FAILED: the suites that need these packages will skip or fail');
  missing = missingSystemPackages();
} else if (missing && missing.length > 0) {
  console.log(`\n[docksphere test] WARNING: missing system packages: ${missing.join(' ')} (not root, so not installing them); the suites that need them will ${process.env.CI === 'true' ? 'FAIL (CI=true)' : 'be skipped'}`);
}

function summary() {
  const bar = '!'.repeat(78);
  if (missing === undefined) {
    console.log(`\n${bar}\n[docksphere test] this is not a Debian system: the suites needing real servers and clients skip what is not on PATH\n(see the warnings above); on Debian, install them with: ${INSTALL}\n${bar}`);
  } else if (missing.length > 0) {
    console.log(`\n${bar}\n[docksphere test] NOT EVERYTHING WAS TESTED: these system packages are missing, and the suites that need them\nwere ${process.env.CI === 'true' ? 'failed' : 'skipped'}: ${missing.join(' ')}\nInstall them with:  ${INSTALL}\n${bar}`);
  }
}

for (const [name, cmd, args] of stages) {
  console.log(`\n[docksphere test] ${name}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  console.log(`[docksphere test] ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (r.status !== 0) {
    summary();
    process.exit(r.status ?? 1);
  }
}
summary();
