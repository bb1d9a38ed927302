// Installs the workspace's dependencies with the pinned pnpm when they are missing or stale,
// so `npm start` and `npm test` work on a fresh clone with nothing but Node and npm.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const marker = path.join(root, 'node_modules', '.modules.yaml');
const lock = path.join(root, 'pnpm-lock.yaml');

// Every manifest that shapes the install: the lockfile, the workspace file, each package.json.
function manifests() {
  const files = [lock, path.join(root, 'pnpm-workspace.yaml'), path.join(root, 'package.json')];
  for (const group of ['packages', 'services', 'apps']) {
    const dir = path.join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) files.push(path.join(dir, name, 'package.json'));
  }
  files.push(path.join(root, 'e2e', 'package.json'), path.join(root, 'bench', 'package.json'), path.join(root, 'infra', 'package.json'));
  return files.filter((f) => existsSync(f));
}

function stale() {
  if (!existsSync(marker) || !existsSync(lock)) return true;
  const installed = statSync(marker).mtimeMs;
  return manifests().some((f) => statSync(f).mtimeMs > installed);
}

if (stale()) {
  const args = ['--yes', `pnpm@${pnpmVersion}`, 'install'];
  if (process.env.CI === 'true' && existsSync(lock)) args.push('--frozen-lockfile');
  console.log(`[docksphere] installing dependencies: npx ${args.join(' ')}`);
  execFileSync('npx', args, { cwd: root, stdio: 'inherit' });
}
