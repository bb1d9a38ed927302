// The tags table: paged by the server (cursor), sorted by push time, name or version, filtered by
// name; rows selected with checkboxes are deleted through a dialog that names them.
'use client';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { CopyButton } from '@/components/ui/copy-button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { useToast } from '@/components/ui/toast';
import { api, messageOf, repoPath } from '@/lib/api';
import { formatBytes, formatTime, shortDigest, timeAgo } from '@/lib/format';
import { routes } from '@/lib/params';
import { deleteTag } from '@/lib/registry';
import type { Page, Tag } from '@/lib/types';

type Sort = 'pushed' | 'name' | 'semver';
const PAGE_SIZE = 25;

function mediaTypeLabel(t: Tag): string {
  const type = t.mediaType ?? '';
  if (t.artifactType) return `artifact (${t.artifactType})`;
  if (type.includes('index') || type.includes('manifest.list')) return 'index';
  if (type.includes('docker')) return 'Docker image';
  if (type.includes('oci')) return 'OCI image';
  return type || '—';
}

export function TagsTable({ repository, mayDelete }: { repository: string; mayDelete: boolean }) {
  const client = useQueryClient();
  const toast = useToast();
  const [sort, setSort] = useState<Sort>('pushed');
  const [filterText, setFilterText] = useState('');
  const [filter, setFilter] = useState('');
  // Cursors of the pages before this one, so "Previous" goes back without refetching from the start.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const timer = setTimeout(() => setFilter(filterText.trim()), 250);
    return () => clearTimeout(timer);
  }, [filterText]);
  useEffect(() => {
    setCursors([undefined]);
    setSelected([]);
  }, [sort, filter]);

  const tags = useQuery({
    queryKey: ['tags', repository, sort, filter, cursor],
    queryFn: () => api<Page<Tag>>(`/api/repositories/${repoPath(repository)}/tags`, { query: { limit: PAGE_SIZE, sort, q: filter || undefined, cursor } }),
    placeholderData: keepPreviousData,
  });

  async function removeSelected() {
    const failed: string[] = [];
    for (const tag of selected) {
      try {
        await deleteTag(repository, tag);
      } catch (err) {
        failed.push(`${tag}: ${messageOf(err)}`);
      }
    }
    // The tag list follows the registry's events: wait (briefly) until it no longer shows them.
    const deleted = selected.filter((t) => !failed.some((f) => f.startsWith(`${t}:`)));
    for (let attempt = 0; attempt < 20; attempt++) {
      const still = await Promise.all(
        deleted.map((tag) => api<Page<Tag>>(`/api/repositories/${repoPath(repository)}/tags`, { query: { q: tag, limit: 100 } }).then((p) => p.items.some((t) => t.tag === tag))),
      );
      if (!still.includes(true)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await client.invalidateQueries({ queryKey: ['tags', repository] });
    if (failed.length) throw new Error(`Not deleted: ${failed.join('; ')}`);
    toast.show(selected.length === 1 ? `Deleted tag ${selected[0]}` : `Deleted ${selected.length} tags`);
    setSelected([]);
  }

  const items = tags.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((t) => selected.includes(t.tag));

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1">
          <label htmlFor="tag-filter" className="text-sm font-medium">
            Filter tags
          </label>
          <input
            id="tag-filter"
            type="search"
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
            placeholder="name contains…"
            className="h-9 w-56 rounded-md border border-border bg-card px-3 text-sm focus-visible:outline-2 focus-visible:outline-ring"
          />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="tag-sort" className="text-sm font-medium">
            Sort by
          </label>
          <select
            id="tag-sort"
            value={sort}
            onChange={(e) => setSort(e.target.value as Sort)}
            className="h-9 rounded-md border border-border bg-card px-2 text-sm focus-visible:outline-2 focus-visible:outline-ring"
          >
            <option value="pushed">Newest push</option>
            <option value="name">Name</option>
            <option value="semver">Version (semver)</option>
          </select>
        </div>
        {mayDelete && (
          <Button variant="danger" className="ml-auto" disabled={selected.length === 0} onClick={() => setConfirming(true)}>
            Delete selected ({selected.length})
          </Button>
        )}
      </div>

      {tags.isPending ? (
        <Loading label="Loading tags…" />
      ) : tags.isError ? (
        <ErrorState message={messageOf(tags.error)} />
      ) : items.length === 0 ? (
        <EmptyState title={filter ? `No tag contains "${filter}"` : 'No tags yet'}>{!filter && 'Push an image to this repository to see its tags here.'}</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-border">
          <table className="w-full text-sm">
            <caption className="sr-only">Tags of {repository}</caption>
            <thead className="bg-muted text-left text-xs text-muted-fg uppercase">
              <tr>
                {mayDelete && (
                  <th scope="col" className="w-8 px-3 py-2">
                    <Checkbox
                      aria-label="Select every tag on this page"
                      checked={allSelected}
                      onCheckedChange={(v) => setSelected(v ? items.map((t) => t.tag) : [])}
                    />
                  </th>
                )}
                <th scope="col" className="px-3 py-2">Tag</th>
                <th scope="col" className="px-3 py-2">Digest</th>
                <th scope="col" className="px-3 py-2">Type</th>
                <th scope="col" className="px-3 py-2 text-right">Size</th>
                <th scope="col" className="px-3 py-2">Platforms</th>
                <th scope="col" className="px-3 py-2">Pushed</th>
                <th scope="col" className="px-3 py-2 text-right">Pulls</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-border">
              {items.map((t) => (
                <tr key={t.tag} data-tag={t.tag} className="bg-card">
                  {mayDelete && (
                    <td className="px-3 py-2">
                      <Checkbox
                        aria-label={`Select tag ${t.tag}`}
                        checked={selected.includes(t.tag)}
                        onCheckedChange={(v) => setSelected((list) => (v ? [...list, t.tag] : list.filter((x) => x !== t.tag)))}
                      />
                    </td>
                  )}
                  <td className="px-3 py-2 font-medium">
                    <Link href={routes.tag(repository, t.tag)} className="text-primary hover:underline">
                      {t.tag}
                    </Link>
                  </td>
                  <td className="px-3 py-2">
                    <span className="flex items-center gap-2">
                      <code className="font-mono text-xs" title={t.digest}>
                        {shortDigest(t.digest)}
                      </code>
                      <CopyButton value={t.digest} label={`Copy digest of ${t.tag}`} />
                    </span>
                  </td>
                  <td className="px-3 py-2 text-xs">{mediaTypeLabel(t)}</td>
                  <td className="px-3 py-2 text-right tabular-nums" data-size={t.totalSize ?? ''}>
                    {formatBytes(t.totalSize)}
                  </td>
                  <td className="px-3 py-2 text-xs">{t.platforms.length ? t.platforms.join(', ') : '—'}</td>
                  <td className="px-3 py-2 text-xs">
                    <time dateTime={t.pushedAt} title={formatTime(t.pushedAt)}>
                      {timeAgo(t.pushedAt)}
                    </time>{' '}
                    by {t.pushedBy}
                  </td>
                  <td className="px-3 py-2 text-right text-xs tabular-nums" title={t.lastPulledAt ? `last pulled ${formatTime(t.lastPulledAt)}` : 'never pulled'}>
                    {t.pullCount}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav aria-label="Tag pages" className="flex items-center justify-end gap-2">
        <Button variant="secondary" size="sm" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </Button>
        <span className="text-xs text-muted-fg">Page {cursors.length}</span>
        <Button
          variant="secondary"
          size="sm"
          disabled={!tags.data?.nextCursor}
          onClick={() => tags.data?.nextCursor && setCursors((c) => [...c, tags.data.nextCursor])}
        >
          Next
        </Button>
      </nav>

      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={selected.length === 1 ? 'Delete 1 tag?' : `Delete ${selected.length} tags?`}
        description="Clients can no longer pull these tags. Images other tags still use are kept."
        confirmLabel="Delete"
        onConfirm={removeSelected}
      >
        <ul className="max-h-40 overflow-y-auto rounded-md border border-border bg-muted px-3 py-2 font-mono text-sm">
          {selected.map((t) => (
            <li key={t}>
              {repository}:{t}
            </li>
          ))}
        </ul>
      </ConfirmDialog>
    </div>
  );
}
