// Bundles each runnable entry point (the all-in-one launcher, each service's main) with esbuild:
// workspace packages are compiled in, npm dependencies stay external and load from node_modules.
// The CLI is the exception: one self-contained file with its npm dependencies inside, so it runs
// from a packed tarball (npm install -g) with nothing else installed.
// First, scripts/openapi.ts regenerates the platform's OpenAPI document and the client's types
// from the route schemas (the metadata bundle serves that document in the distributed mode).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const generated = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/openapi.ts'], { cwd: root, stdio: 'inherit' });
if (generated.status !== 0) process.exit(generated.status ?? 1);

const entries = [
  ['apps/all-in-one/src/main.ts', 'apps/all-in-one/dist/main.mjs'],
  ['apps/all-in-one/src/migrate.ts', 'apps/all-in-one/dist/migrate.mjs'],
  ['services/registry/src/main.ts', 'services/registry/dist/main.mjs'],
  ['services/auth/src/main.ts', 'services/auth/dist/main.mjs'],
  ['services/metadata/src/main.ts', 'services/metadata/dist/main.mjs'],
  ['services/hooks/src/main.ts', 'services/hooks/dist/main.mjs'],
  ['apps/cli/src/main.ts', 'apps/cli/dist/main.mjs'],
].filter(([src]) => existsSync(path.join(root, src)));

const externalizeNpm = {
  name: 'externalize-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@docksphere/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

// A bundle that opens the embedded database starts it as a child process from a second bundle
// beside it (packages/db/src/pglite-process.ts looks for dist/pglite-server.mjs).
const pgliteServer = ['packages/db/src/pglite-server.ts', 'pglite-server.mjs'];
const built = [];

const selfContained = new Set(['apps/cli/src/main.ts']);

async function bundle(src, out) {
  const standalone = selfContained.has(src);
  const version = standalone ? JSON.parse(readFileSync(path.join(root, path.dirname(path.dirname(src)), 'package.json'), 'utf8')).version : undefined;
  const result = await build({
    entryPoints: [path.join(root, src)],
    outfile: path.join(root, out),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    absWorkingDir: root,
    logLevel: 'warning',
    plugins: standalone ? [] : [externalizeNpm],
    define: standalone ? { DOCKSPHERE_CLI_VERSION: JSON.stringify(version) } : {},
    // Bundled code runs from the app's own folder, where its npm dependencies resolve.
    banner: {
      js: standalone
        ? // Bundled CommonJS dependencies (jq-wasm's loader) also expect __dirname and __filename.
          "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));"
        : "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  if (standalone) chmodSync(path.join(root, out), 0o755);
  built.push(out);
  return result;
}

for (const [src, out] of entries) {
  const { metafile } = await bundle(src, out);
  if (Object.keys(metafile.inputs).includes('packages/db/src/pglite-process.ts')) {
    await bundle(pgliteServer[0], path.join(path.dirname(out), pgliteServer[1]));
  }
}
console.log(`[docksphere] built ${built.join(', ') || 'nothing'}`);

// The web console: a Next.js static export in apps/web/out, rebuilt only when its sources, its
// configuration or the lockfile changed since the last build (a warm `npm start` skips it).
const web = path.join(root, 'apps/web');
if (existsSync(path.join(web, 'package.json'))) await buildConsole();

async function buildConsole() {
  const { createHash } = await import('node:crypto');
  const { readdirSync, readFileSync, statSync, writeFileSync, rmSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const out = path.join(web, 'out');
  const stamp = path.join(out, '.source-hash');
  const hash = createHash('sha256');
  const visit = (p) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) visit(path.join(p, name));
    } else {
      hash.update(path.relative(root, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const item of ['src', 'public', 'scripts', 'next.config.mjs', 'postcss.config.mjs', 'tsconfig.json', 'package.json']) {
    if (existsSync(path.join(web, item))) visit(path.join(web, item));
  }
  visit(path.join(root, 'pnpm-lock.yaml'));
  // The platform client is compiled into the console.
  visit(path.join(root, 'packages/client/src'));
  const digest = hash.digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
    console.log('[docksphere] web console up to date (apps/web/out)');
    return;
  }
  console.log('[docksphere] building the web console (next build)…');
  rmSync(out, { recursive: true, force: true });
  const result = spawnSync(path.join(web, 'node_modules/.bin/next'), ['build'], {
    cwd: web,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) {
    console.error('[docksphere] the web console build failed');
    process.exit(result.status ?? 1);
  }
  const { finishExport } = await import(path.join(web, 'scripts/finish-export.mjs'));
  const pages = finishExport(out);
  writeFileSync(stamp, digest);
  console.log(`[docksphere] built the web console: ${pages} pages in apps/web/out`);
}
