// podman (as root, vfs storage in a temp dir, plain http) against DockSphere: login through the
// token service, push the same locally built image the docker suite uses, pull it back by tag
// and by digest with nothing cached, and compare the layers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { writeAuthFile } from './harness/registry-client.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { run, runOk } from './harness/run.ts';
import { targets } from './harness/targets.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { buildSavedTestImage, removeImages, type TestImage } from './harness/test-image.ts';

// The image is built with docker (podman build needs more than this machine offers) and handed over with docker save.
const havePodman = requireServer('podman', hasCommand('podman') && hasCommand('docker') && hasCommand('dockerd'));

describe.skipIf(!havePodman).each(targets())('podman against $name', (target) => {
  const temp = makeTempDir('podman');
  const dockerConfig = path.join(temp.dir, 'docker-config');
  const storage = ['--root', path.join(temp.dir, 'root'), '--runroot', path.join(temp.dir, 'runroot'), '--storage-driver', 'vfs'];
  let registry: RegistryUnderTest;
  let image: TestImage;
  let authfile: string;
  let remote: string;
  let digest: string;

  const podman = (args: string[], input?: string) => runOk('podman', [...storage, ...args], { input, timeoutMs: 180_000, env: { ...process.env, TMPDIR: temp.dir } });
  const diffIds = async (ref: string) => JSON.parse((await podman(['image', 'inspect', ref, '--format', '{{json .RootFS.Layers}}'])).stdout) as string[];

  printLogsOnFailure(() => registry);

  beforeAll(async () => {
    await ensureDockerd();
    registry = await target.start();
    const saved = await buildSavedTestImage(dockerConfig, temp.dir, `podman-${target.name}`);
    image = saved.image;
    await podman(['load', '-i', saved.archive]);
    remote = `${registry.host}/e2e/podman:v1`;
    // An empty auth file: `podman login` below has to write the credentials itself.
    authfile = writeAuthFile(path.join(temp.dir, 'auth'), registry, undefined);
  });

  afterAll(async () => {
    if (image) await removeImages(dockerConfig, [image.ref, image.baseRef]);
    await registry?.stop();
    temp.remove();
  });

  it.skipIf(target.name === 'reference')('logs in through the token service', async () => {
    const user = registry.auth!.users[0]!;
    const bad = await run('podman', [...storage, 'login', '--tls-verify=false', '--authfile', authfile, '-u', user.username, '--password-stdin', registry.host], { input: 'wrong-password' });
    expect(bad.code).not.toBe(0);
    const ok = await podman(['login', '--tls-verify=false', '--authfile', authfile, '-u', user.username, '--password-stdin', registry.host], user.password);
    expect(ok.stdout).toContain('Login Succeeded');
    expect(JSON.parse(readFileSync(authfile, 'utf8')).auths).toHaveProperty([registry.host]);
  });

  it('pushes the image and reports the manifest digest', async () => {
    const digestFile = path.join(temp.dir, 'digest');
    await podman(['push', '--tls-verify=false', '--authfile', authfile, '--digestfile', digestFile, `localhost/${image.ref}`, remote]);
    digest = readFileSync(digestFile, 'utf8').trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspected = await runOk('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, `docker://${remote}`]);
    const manifest = JSON.parse(inspected.stdout) as { layers: unknown[] };
    expect(manifest.layers).toHaveLength(image.diffIds.length);
  });

  it('pulls by tag and by digest with nothing cached: the same layers', async () => {
    await podman(['rmi', '--all', '--force']);
    expect((await podman(['images', '--quiet'])).stdout.trim()).toBe('');
    await podman(['pull', '--tls-verify=false', '--authfile', authfile, remote]);
    expect(await diffIds(remote)).toEqual(image.diffIds);

    await podman(['rmi', '--all', '--force']);
    const byDigest = `${registry.host}/e2e/podman@${digest}`;
    await podman(['pull', '--tls-verify=false', '--authfile', authfile, byDigest]);
    expect(await diffIds(byDigest)).toEqual(image.diffIds);
  });

  it('fails to pull a missing tag with manifest unknown', async () => {
    const r = await run('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authfile, `${registry.host}/e2e/podman:no-such-tag`], { timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/manifest unknown|not found/i);
  });
});
