// repo and tag commands: repositories through the platform API, manifests through /v2.
import type { Command } from 'commander';
import { collect, unwrap } from '@docksphere/client';
import { CliError, EXIT } from '../exit-codes.ts';
import { examples, options, withOutput, withYes } from '../command-kit.ts';
import { printList, printObject, success } from '../output.ts';
import { confirmDestructive, openSession, registryFetch, registryJson, type Session } from '../session.ts';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface Manifest {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

function repoName(name: string): string {
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/.test(name)) throw new CliError(`not a repository name (namespace/name): ${name}`, EXIT.usage);
  return name;
}

/** "ns/app:tag" or "ns/app@sha256:…" split into repository and reference. */
function splitReference(ref: string): { repository: string; reference: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { repository: repoName(ref.slice(0, at)), reference: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: repoName(ref.slice(0, colon)), reference: ref.slice(colon + 1) };
  throw new CliError(`name a tag: ${ref}:TAG`, EXIT.usage);
}

async function fetchManifest(session: Session, repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET') {
  const reply = await registryFetch(session, `repository:${repository}:pull`, `/v2/${repository}/manifests/${encodeURIComponent(reference)}`, { method, headers: { accept: MANIFEST_TYPES } });
  return { reply, digest: reply.headers.get('docker-content-digest') ?? '', mediaType: reply.headers.get('content-type') ?? '' };
}

export function registerRepo(program: Command): void {
  const repo = program.command('repo').description('repositories');
  examples(
    withOutput(repo.command('ls').description('list repositories you can see').option('--namespace <ns>', 'only this user or organization')).action(async (_o, cmd: Command) => {
      const opts = options<{ namespace?: string }>(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/repositories', { params: { query: { cursor, namespace: opts.namespace } } }));
      await printList(rows, [{ header: 'NAME', value: (r) => r.name }, { header: 'VISIBILITY', value: (r) => r.visibility }, { header: 'PULLS', value: (r) => r.pullCount }, { header: 'LAST PUSH', value: (r) => r.lastPushedAt ?? '' }, { header: 'DESCRIPTION', value: (r) => r.description }], opts);
    }),
    ['docksphere repo ls', 'docksphere repo ls --namespace acme --json', 'docksphere repo ls --jq ".[].name"'],
  );
  examples(
    withOutput(repo.command('create').description('create a repository').argument('<name>', 'namespace/name').option('--public', 'anyone may pull').option('--description <text>', 'description')).action(async (name: string, _o, cmd: Command) => {
      const opts = options<{ public?: boolean; description?: string }>(cmd);
      const { client } = openSession(opts);
      const created = await unwrap(client.POST('/api/repositories', { body: { name: repoName(name), visibility: opts.public ? 'public' : 'private', description: opts.description } }));
      if (opts.json || opts.jq !== undefined) await printObject(created, [], opts);
      else success(`Created ${created.name} (${created.visibility})`);
    }),
    ['docksphere repo create acme/api --description "the API server"', 'docksphere repo create alice/tools --public'],
  );
  examples(
    withOutput(repo.command('view').description('show a repository').argument('<name>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const r = await unwrap(client.GET('/api/repositories/{repository}', { params: { path: { repository: repoName(name) } } }));
      await printObject(r, [['name', r.name], ['visibility', r.visibility], ['description', r.description], ['created by', r.createdBy], ['created', r.createdAt], ['last push', r.lastPushedAt], ['pulls', r.pullCount]], opts);
    }),
    ['docksphere repo view acme/api', 'docksphere repo view acme/api --jq .visibility'],
  );
  examples(
    withOutput(repo.command('edit').description('change visibility or description').argument('<name>').option('--visibility <v>', 'public or private').option('--description <text>', 'description')).action(async (name: string, _o, cmd: Command) => {
      const opts = options<{ visibility?: string; description?: string }>(cmd);
      if (opts.visibility !== undefined && opts.visibility !== 'public' && opts.visibility !== 'private') throw new CliError('--visibility is public or private', EXIT.usage);
      if (opts.visibility === undefined && opts.description === undefined) throw new CliError('nothing to change: pass --visibility or --description', EXIT.usage);
      const { client } = openSession(opts);
      const r = await unwrap(client.PATCH('/api/repositories/{repository}', { params: { path: { repository: repoName(name) } }, body: { visibility: opts.visibility as 'public' | 'private' | undefined, description: opts.description } }));
      if (opts.json || opts.jq !== undefined) await printObject(r, [], opts);
      else success(`Updated ${r.name}`);
    }),
    ['docksphere repo edit acme/api --visibility public', 'docksphere repo edit acme/api --description "new text"'],
  );
  examples(
    withYes(repo.command('rm').description('delete a repository with all its tags').argument('<name>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const repository = repoName(name);
      await unwrap(client.GET('/api/repositories/{repository}', { params: { path: { repository } } }));
      await confirmDestructive(opts, `Delete repository ${repository} and all its tags`);
      await unwrap(client.DELETE('/api/repositories/{repository}', { params: { path: { repository }, query: { confirm: repository } } }));
      success(`Deleted ${repository}`);
    }),
    ['docksphere repo rm acme/old --yes'],
  );
  examples(
    withYes(repo.command('transfer').description('move a repository to another namespace').argument('<name>').argument('<namespace>')).action(async (name: string, namespace: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const repository = repoName(name);
      await confirmDestructive(opts, `Transfer ${repository} to ${namespace}`);
      const moved = await unwrap(client.POST('/api/repositories/{repository}/transfer', { params: { path: { repository } }, body: { namespace, confirm: repository } }));
      success(`Transferred to ${(moved as { name?: string }).name ?? namespace}`);
    }),
    ['docksphere repo transfer alice/app acme --yes'],
  );

  const tag = program.command('tag').description('tags of a repository');
  examples(
    withOutput(tag.command('ls').description('list tags').argument('<repository>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/repositories/{repository}/tags', { params: { path: { repository: repoName(name) }, query: { cursor } } }));
      await printList(rows, [{ header: 'TAG', value: (r) => r.tag }, { header: 'DIGEST', value: (r) => r.digest }, { header: 'SIZE', value: (r) => r.totalSize ?? '' }, { header: 'PLATFORMS', value: (r) => r.platforms }, { header: 'PUSHED', value: (r) => r.pushedAt }, { header: 'BY', value: (r) => r.pushedBy }], opts);
    }),
    ['docksphere tag ls acme/api', 'docksphere tag ls acme/api --jq ".[].tag"'],
  );
  examples(
    withOutput(tag.command('view').description('layers, sizes, platforms, config and referrers of a tag').argument('<reference>', 'repository:tag or repository@digest')).action(async (ref: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const session = openSession(opts);
      const { repository, reference } = splitReference(ref);
      const { reply, digest, mediaType } = await fetchManifest(session, repository, reference);
      const manifest = await registryJson<Manifest>(reply);
      let config: unknown;
      if (manifest.config && manifest.config.mediaType.endsWith('config.v1+json') && manifest.config.size <= 1024 * 1024) {
        config = await registryJson(await registryFetch(session, `repository:${repository}:pull`, `/v2/${repository}/blobs/${manifest.config.digest}`));
      }
      let referrers: Descriptor[] = [];
      try {
        referrers = (await registryJson<{ manifests?: Descriptor[] }>(await registryFetch(session, `repository:${repository}:pull`, `/v2/${repository}/referrers/${digest}`))).manifests ?? [];
      } catch (err) {
        if (!(err instanceof CliError && err.exitCode === EXIT.notFound)) throw err;
      }
      const layers = manifest.layers ?? [];
      const platforms = (manifest.manifests ?? []).map((m) => ({ digest: m.digest, platform: [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'), size: m.size }));
      const size = (manifest.config?.size ?? 0) + layers.reduce((n, l) => n + l.size, 0);
      const view = { repository, reference, digest, mediaType, artifactType: manifest.artifactType ?? null, size, layers, platforms, config: config ?? null, referrers };
      const cfg = config as { architecture?: string; os?: string; created?: string } | undefined;
      await printObject(view, [['reference', `${repository}:${reference}`], ['digest', digest], ['media type', mediaType], ['size', size], ['platform', cfg ? `${cfg.os ?? ''}/${cfg.architecture ?? ''}` : platforms.map((p) => p.platform).join(', ')], ['created', cfg?.created ?? ''], ['layers', layers.map((l) => `${l.digest} (${l.size} B)`).join(', ')], ['referrers', referrers.map((r) => `${r.artifactType ?? r.mediaType} ${r.digest}`).join(', ')]], opts);
    }),
    ['docksphere tag view acme/api:1.2', 'docksphere tag view acme/api:1.2 --jq ".layers[].digest"'],
  );
  examples(
    withYes(tag.command('rm').description('delete a tag (the manifest stays if other tags point at it)').argument('<reference>', 'repository:tag')).action(async (ref: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const session = openSession(opts);
      const { repository, reference } = splitReference(ref);
      await fetchManifest(session, repository, reference, 'HEAD');
      await confirmDestructive(opts, `Delete ${repository}:${reference}`);
      await registryFetch(session, `repository:${repository}:delete`, `/v2/${repository}/manifests/${encodeURIComponent(reference)}`, { method: 'DELETE' });
      success(`Deleted ${repository}:${reference}`);
    }),
    ['docksphere tag rm acme/api:old --yes'],
  );
  examples(
    withOutput(tag.command('history').description('which digests a tag pointed at, newest first').argument('<reference>', 'repository:tag')).action(async (ref: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const { repository, reference } = splitReference(ref);
      const rows = await collect((cursor) => client.GET('/api/repositories/{repository}/tags/{tag}/history', { params: { path: { repository, tag: reference }, query: { cursor } } }));
      await printList(rows, [{ header: 'AT', value: (r) => r.at }, { header: 'ACTION', value: (r) => r.action }, { header: 'DIGEST', value: (r) => r.digest }, { header: 'BY', value: (r) => r.by }], opts);
    }),
    ['docksphere tag history acme/api:latest'],
  );
}
