// Builds small multi-layer test images with the local Docker engine (nothing can be pulled from a
// hub here): a busybox-static rootfs imported as the base, then COPY/RUN steps adding layers.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, runOk } from './run.ts';

export const BUSYBOX = '/bin/busybox';

export interface TestImage {
  /** The local name:tag the image was built as. */
  ref: string;
  /** The base image's name:tag (its one layer is the image's first). */
  baseRef: string;
  /** Uncompressed layer digests (RootFS.Layers), in order. */
  diffIds: string[];
  imageId: string;
}

/** `docker` with a private client config dir (credentials, no host credential helpers). */
export function docker(configDir: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  return runOk('docker', args, { ...opts, env: { ...process.env, DOCKER_CONFIG: configDir, DOCKER_BUILDKIT: '0', ...opts.env } });
}

export async function imageLayers(configDir: string, ref: string): Promise<{ id: string; diffIds: string[]; repoDigests: string[] }> {
  const out = await docker(configDir, ['image', 'inspect', ref, '--format', '{{json .}}']);
  const info = JSON.parse(out.stdout) as { Id: string; RootFS: { Layers: string[] }; RepoDigests: string[] | null };
  return { id: info.Id, diffIds: info.RootFS.Layers, repoDigests: info.RepoDigests ?? [] };
}

/**
 * Builds `local/e2e-<name>:<random>` with four layers (base, COPY text, RUN-generated file, COPY of
 * `bigBytes` random bytes that do not compress) in `workDir`.
 */
export async function buildTestImage(configDir: string, workDir: string, name: string, bigBytes = 3 * 1024 * 1024): Promise<TestImage> {
  const id = randomBytes(4).toString('hex');
  const rootfs = path.join(workDir, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  const baseTar = path.join(workDir, 'base.tar');
  await runOk('tar', ['-C', rootfs, '-cf', baseTar, '.']);
  const baseRef = `local/e2e-base-${name}:${id}`;
  await docker(configDir, ['import', '--change', 'CMD ["/bin/busybox","sh"]', baseTar, baseRef]);

  const context = path.join(workDir, 'context');
  mkdirSync(context, { recursive: true });
  writeFileSync(path.join(context, 'greeting.txt'), `hello from ${name} ${id}\n`);
  writeFileSync(path.join(context, 'big.bin'), randomBytes(bigBytes));
  writeFileSync(
    path.join(context, 'Dockerfile'),
    [
      `FROM ${baseRef}`,
      'COPY greeting.txt /greeting.txt',
      `RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /data && /bin/busybox seq 1 50000 > /data/numbers && /bin/busybox echo ${id} > /data/id"]`,
      'COPY big.bin /data/big.bin',
      'CMD ["/bin/busybox", "cat", "/greeting.txt"]',
      '',
    ].join('\n'),
  );
  const ref = `local/e2e-${name}:${id}`;
  await docker(configDir, ['build', '--network', 'none', '-t', ref, context], { timeoutMs: 180_000 });
  const { id: imageId, diffIds } = await imageLayers(configDir, ref);
  return { ref, baseRef, diffIds, imageId };
}

/**
 * Builds the test image with docker and saves it as a docker archive (`<workDir>/image.tar`), for
 * clients that cannot read docker's image store: podman, buildah, containerd's ctr.
 */
export async function buildSavedTestImage(configDir: string, workDir: string, name: string): Promise<{ image: TestImage; archive: string }> {
  const image = await buildTestImage(configDir, path.join(workDir, 'build'), name);
  const archive = path.join(workDir, 'image.tar');
  await docker(configDir, ['save', '-o', archive, image.ref]);
  return { image, archive };
}

/** Removes local image names from the docker engine; a name that is not there is no error. */
export async function removeImages(configDir: string, refs: readonly string[]): Promise<void> {
  for (const ref of refs) await run('docker', ['rmi', '--force', ref], { env: { ...process.env, DOCKER_CONFIG: configDir } });
}
