// The tag / manifest page: digest, media type and sizes; for an index, a platform switcher; the
// layers with the build commands from the image config, the config itself, pull commands, the
// tag's history and the manifest's referrers. Manifests and configs come from /v2.
'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import NotFound from '@/app/not-found';
import { useRepository } from '@/app/repository/repository-screen';
import { usePageTitle } from '@/components/page-title';
import { useRegistryHost } from '@/components/push-commands';
import { Badge, Card, EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { CopyButton, CopyField } from '@/components/ui/copy-button';
import { api, ApiError, messageOf, repoPath } from '@/lib/api';
import { formatBytes, formatTime, shortDigest } from '@/lib/format';
import { routes, useParam } from '@/lib/params';
import { fetchConfig, fetchManifest, fetchReferrers, isIndex, type Descriptor, type ImageConfig, type ImageManifest } from '@/lib/registry';
import type { Page, TagHistoryEntry } from '@/lib/types';

function platformOf(d: Descriptor): string {
  const p = d.platform;
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Pairs each layer with the history entry that made it (history rows with empty_layer make none). */
function layerHistory(manifest: ImageManifest, config: ImageConfig | undefined) {
  const steps = (config?.history ?? []).filter((h) => !h.empty_layer);
  return manifest.layers.map((layer, i) => ({ layer, createdBy: steps[i]?.created_by, created: steps[i]?.created }));
}

function Definition({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1 text-sm">
      <dt className="text-muted-fg">{term}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

function ImageDetails({ repository, digest }: { repository: string; digest: string }) {
  const manifest = useQuery({ queryKey: ['manifest', repository, digest], queryFn: () => fetchManifest(repository, digest), staleTime: Infinity });
  const image = manifest.data && !isIndex(manifest.data.manifest) ? manifest.data.manifest : undefined;
  const configDigest = image?.config.digest;
  const isImageConfig = image?.config.mediaType.includes('config') || image?.config.mediaType.includes('container.image');
  const config = useQuery({
    queryKey: ['config', repository, configDigest],
    queryFn: () => fetchConfig(repository, configDigest as string),
    enabled: !!configDigest && !!isImageConfig,
    staleTime: Infinity,
  });
  if (manifest.isPending) return <Loading label="Loading the image…" />;
  if (manifest.isError) return <ErrorState message={messageOf(manifest.error)} />;
  if (!image) return <ErrorState message="This manifest is an index, not an image." />;
  const layers = layerHistory(image, config.data);
  const total = image.layers.reduce((sum, l) => sum + l.size, 0) + image.config.size + manifest.data.size;
  const c = config.data;
  return (
    <div className="flex flex-col gap-6">
      <Card>
        <h2 className="mb-2 text-lg font-semibold">Image</h2>
        <dl>
          <Definition term="Digest">
            <code className="font-mono text-xs">{manifest.data.digest}</code>
          </Definition>
          <Definition term="Media type">{manifest.data.mediaType}</Definition>
          <Definition term="Total size">{formatBytes(total)} (compressed)</Definition>
          {c && (
            <>
              <Definition term="Platform">{[c.os, c.architecture, c.variant].filter(Boolean).join('/')}</Definition>
              {c.created && <Definition term="Created">{formatTime(c.created)}</Definition>}
              {c.config?.Entrypoint && <Definition term="Entrypoint">
                  <code className="font-mono text-xs">{JSON.stringify(c.config.Entrypoint)}</code>
                </Definition>}
              {c.config?.Cmd && <Definition term="Cmd">
                  <code className="font-mono text-xs">{JSON.stringify(c.config.Cmd)}</code>
                </Definition>}
              {c.config?.WorkingDir && <Definition term="Working dir">{c.config.WorkingDir}</Definition>}
              {c.config?.User && <Definition term="User">{c.config.User}</Definition>}
              {c.config?.Env && c.config.Env.length > 0 && (
                <Definition term="Environment">
                  <ul className="font-mono text-xs">
                    {c.config.Env.map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                </Definition>
              )}
              {c.config?.Labels && Object.keys(c.config.Labels).length > 0 && (
                <Definition term="Labels">
                  <ul className="font-mono text-xs">
                    {Object.entries(c.config.Labels).map(([k, v]) => (
                      <li key={k}>
                        {k}={v}
                      </li>
                    ))}
                  </ul>
                </Definition>
              )}
            </>
          )}
        </dl>
        {config.isError && <ErrorState message={`The image config could not be read: ${messageOf(config.error)}`} />}
      </Card>
      <section aria-labelledby="layers">
        <h2 id="layers" className="mb-2 text-lg font-semibold">
          Layers ({image.layers.length})
        </h2>
        <div className="overflow-x-auto rounded-lg border border-border">
          <table className="w-full text-sm">
            <thead className="bg-muted text-left text-xs text-muted-fg uppercase">
              <tr>
                <th scope="col" className="px-3 py-2">#</th>
                <th scope="col" className="px-3 py-2">Command</th>
                <th scope="col" className="px-3 py-2">Digest</th>
                <th scope="col" className="px-3 py-2 text-right">Size</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-border">
              {layers.map(({ layer, createdBy }, i) => (
                <tr key={`${layer.digest}-${i}`} className="bg-card" data-layer={i}>
                  <td className="px-3 py-2 tabular-nums">{i + 1}</td>
                  <td className="px-3 py-2">
                    <code className="font-mono text-xs break-all whitespace-pre-wrap">{createdBy ?? '—'}</code>
                  </td>
                  <td className="px-3 py-2">
                    <code className="font-mono text-xs" title={layer.digest}>
                      {shortDigest(layer.digest)}
                    </code>
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatBytes(layer.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function TagHistory({ repository, tag }: { repository: string; tag: string }) {
  const history = useQuery({
    queryKey: ['tag-history', repository, tag],
    queryFn: () => api<Page<TagHistoryEntry>>(`/api/repositories/${repoPath(repository)}/tags/${encodeURIComponent(tag)}/history`, { query: { limit: 20 } }),
  });
  if (history.isPending) return <Loading label="Loading history…" />;
  if (history.isError) return <ErrorState message={messageOf(history.error)} />;
  if (history.data.items.length === 0) return <EmptyState title="No history" />;
  return (
    <ol className="flex flex-col gap-1 text-sm">
      {history.data.items.map((h, i) => (
        <li key={`${h.at}-${i}`} className="flex flex-wrap items-center gap-2">
          <Badge tone={h.action === 'deleted' ? 'danger' : 'neutral'}>{h.action}</Badge>
          <code className="font-mono text-xs" title={h.digest}>
            {shortDigest(h.digest)}
          </code>
          <span className="text-muted-fg">
            by {h.by}, {formatTime(h.at)}
          </span>
        </li>
      ))}
    </ol>
  );
}

function Referrers({ repository, digest }: { repository: string; digest: string }) {
  const referrers = useQuery({ queryKey: ['referrers', repository, digest], queryFn: () => fetchReferrers(repository, digest) });
  if (referrers.isPending) return <Loading label="Loading referrers…" />;
  if (referrers.isError) return <ErrorState message={messageOf(referrers.error)} />;
  if (referrers.data.length === 0) return <EmptyState title="No referrers">Signatures, SBOMs and attestations pushed for this manifest appear here.</EmptyState>;
  const byType = new Map<string, Descriptor[]>();
  for (const r of referrers.data) {
    const type = r.artifactType ?? r.mediaType;
    byType.set(type, [...(byType.get(type) ?? []), r]);
  }
  return (
    <div className="flex flex-col gap-3">
      {[...byType].map(([type, list]) => (
        <div key={type}>
          <h3 className="text-sm font-semibold">{type}</h3>
          <ul className="text-sm">
            {list.map((r) => (
              <li key={r.digest} className="flex items-center gap-2">
                <code className="font-mono text-xs">{r.digest}</code>
                <span className="text-muted-fg">{formatBytes(r.size)}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

export function TagScreen() {
  const name = useParam('name');
  const tag = useParam('tag');
  const host = useRegistryHost();
  const repository = useRepository(name);
  const top = useQuery({ queryKey: ['manifest', name, tag], queryFn: () => fetchManifest(name as string, tag as string), enabled: !!name && !!tag && repository.isSuccess });
  const [platform, setPlatform] = useState<string>();
  usePageTitle(name && tag ? `${name}:${tag}` : undefined);
  if (!name || !tag) return <NotFound />;
  const failure = repository.error ?? top.error;
  if (failure) {
    if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400 || failure.code === 'MANIFEST_UNKNOWN' || failure.code === 'NAME_UNKNOWN')) return <NotFound />;
    return <ErrorState message={messageOf(failure)} />;
  }
  if (!top.data) return <Loading />;
  const index = isIndex(top.data.manifest) ? top.data.manifest : undefined;
  const children = index?.manifests.filter((m) => m.platform && m.platform.architecture !== 'unknown') ?? [];
  const chosen = index ? (children.find((m) => platformOf(m) === platform) ?? children[0]) : undefined;
  return (
    <div className="flex flex-col gap-5">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href={routes.repository(name)} className="text-primary hover:underline">
          {name}
        </Link>{' '}
        / <span>{tag}</span>
      </nav>
      <h1 className="text-2xl font-semibold break-all">
        {name}:{tag}
      </h1>
      <div className="flex flex-col gap-2">
        <CopyField label="pull by tag" value={`docker pull ${host}/${name}:${tag}`} />
        <CopyField label="pull by digest" value={`docker pull ${host}/${name}@${top.data.digest}`} />
      </div>
      {index && (
        <Card>
          <h2 className="text-lg font-semibold">Index</h2>
          <p className="mt-1 text-sm text-muted-fg">
            <span className="flex items-center gap-2">
              <code className="font-mono text-xs">{top.data.digest}</code>
              <CopyButton value={top.data.digest} label="Copy index digest" />
            </span>
            {top.data.mediaType}, {children.length} platforms
          </p>
          <div role="group" aria-label="Platform" className="mt-3 flex flex-wrap gap-2">
            {children.map((m) => (
              <button
                key={m.digest}
                type="button"
                aria-pressed={chosen?.digest === m.digest}
                onClick={() => setPlatform(platformOf(m))}
                className="rounded-full border border-border px-3 py-1 text-sm focus-visible:outline-2 focus-visible:outline-ring aria-pressed:bg-primary aria-pressed:text-primary-fg"
              >
                {platformOf(m)}
              </button>
            ))}
          </div>
        </Card>
      )}
      {(chosen || !index) && <ImageDetails key={chosen?.digest ?? top.data.digest} repository={name} digest={chosen?.digest ?? top.data.digest} />}
      <div className="grid gap-6 md:grid-cols-2">
        <section aria-labelledby="history">
          <h2 id="history" className="mb-2 text-lg font-semibold">
            Tag history
          </h2>
          <TagHistory repository={name} tag={tag} />
        </section>
        <section aria-labelledby="referrers">
          <h2 id="referrers" className="mb-2 text-lg font-semibold">
            Referrers
          </h2>
          <Referrers repository={name} digest={top.data.digest} />
        </section>
      </div>
    </div>
  );
}
