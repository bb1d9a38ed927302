// Images for the deployment suite, built without a public registry: a debootstrapped Debian
// bookworm, a Node base on it standing in for node:20-bookworm-slim, stand-ins for the third-party
// images docker-compose.yml names (e2e/deploy/standins), and the DockSphere image from the root
// Dockerfile. Base and stand-ins are cached by name (the tag hashes what they are built from), so
// only the first run on a machine pays for debootstrap and apt.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, runOk } from './run.ts';
import { repoRoot } from './paths.ts';

const STANDINS = path.join(repoRoot, 'e2e/deploy/standins');
const dockerEnv = { ...process.env, DOCKER_BUILDKIT: '0' };
const BUILD_TIMEOUT_MS = 20 * 60_000;

const docker = (args: string[], timeoutMs = BUILD_TIMEOUT_MS) => runOk('docker', args, { env: dockerEnv, timeoutMs });

async function imageExists(ref: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', ref], { env: dockerEnv })).code === 0;
}

function hashDir(dir: string, extra = ''): string {
  const hash = createHash('sha256').update(extra);
  for (const name of readdirSync(dir).sort()) hash.update(name).update('\0').update(readFileSync(path.join(dir, name))).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** Debian bookworm (debootstrap --variant=minbase) as an image, with apt sources to install from. */
export async function ensureBookworm(): Promise<string> {
  const ref = 'docksphere-e2e/bookworm-minbase:1';
  if (await imageExists(ref)) return ref;
  const dir = mkdtempSync(path.join(tmpdir(), 'ds-bookworm-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    await runOk('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], { timeoutMs: BUILD_TIMEOUT_MS });
    // Downloaded packages and lists are not part of an image.
    rmSync(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    rmSync(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    const tar = path.join(dir, 'rootfs.tar');
    await runOk('tar', ['-C', rootfs, '-cf', tar, '.'], { timeoutMs: BUILD_TIMEOUT_MS });
    await docker(['import', '--change', 'CMD ["/bin/bash"]', tar, ref]);
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stands in for node:20-bookworm-slim: bookworm plus this machine's node binary and npm. */
export async function ensureNodeBase(): Promise<string> {
  const base = await ensureBookworm();
  const node = realpathSync(process.execPath);
  // npm as installed beside node (…/bin/node, …/lib/node_modules/npm).
  const npmDir = path.join(path.dirname(path.dirname(node)), 'lib/node_modules/npm');
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const ref = `docksphere-e2e/node:${process.versions.node}-${hashDir(path.join(STANDINS, 'node'), `${base}${extraCa ? readFileSync(extraCa, 'utf8') : ''}`)}`;
  if (await imageExists(ref)) return ref;
  const context = mkdtempSync(path.join(tmpdir(), 'ds-node-base-'));
  try {
    copyFileSync(path.join(STANDINS, 'node/Dockerfile'), path.join(context, 'Dockerfile'));
    copyFileSync(node, path.join(context, 'node'));
    cpSync(npmDir, path.join(context, 'npm'), { recursive: true });
    // npm inside the image build verifies the registry's certificate the way this machine does.
    writeFileSync(path.join(context, 'extra-ca.crt'), extraCa ? readFileSync(extraCa) : '');
    await docker(['build', '--network', 'none', '--build-arg', `BASE=${base}`, '-t', ref, context]);
    return ref;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

export type StandIn = 'postgres' | 'redis' | 'nats' | 'nginx' | 's3' | 'mc';

/** A stand-in for a third-party image (e2e/deploy/standins/NAME), built once per content. */
export async function ensureStandIn(name: StandIn): Promise<string> {
  const base = name === 's3' ? await ensureNodeBase() : await ensureBookworm();
  const dir = path.join(STANDINS, name);
  const ref = `docksphere-e2e/${name}:${hashDir(dir, base)}`;
  if (await imageExists(ref)) return ref;
  // apt and npm inside the build reach their registries through the host's network.
  await docker(['build', '--network', 'host', '--build-arg', `BASE=${base}`, '-t', ref, dir]);
  return ref;
}

/** Builds the root Dockerfile on the Node stand-in; docker's layer cache makes an unchanged rebuild quick. */
export async function buildDockSphereImage(ref: string): Promise<{ ref: string; sizeBytes: number }> {
  const base = await ensureNodeBase();
  await docker(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${base}`, '-t', ref, repoRoot]);
  const size = await docker(['image', 'inspect', ref, '--format', '{{.Size}}']);
  return { ref, sizeBytes: Number(size.stdout.trim()) };
}

/** The size of an image's own layers above a base image (what the DockSphere Dockerfile adds). */
export async function sizeAboveBase(ref: string, base: string): Promise<number> {
  const [image, baseImage] = await Promise.all([docker(['image', 'inspect', ref, '--format', '{{.Size}}']), docker(['image', 'inspect', base, '--format', '{{.Size}}'])]);
  return Number(image.stdout.trim()) - Number(baseImage.stdout.trim());
}
