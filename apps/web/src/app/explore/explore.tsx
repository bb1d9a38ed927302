// Explore: repositories the visitor may see (public ones for anonymous visitors), searched by name
// and description and ranked by the API, or all of one namespace; paged by cursor.
'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Badge, EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { api, messageOf } from '@/lib/api';
import { timeAgo } from '@/lib/format';
import { routes, useParam } from '@/lib/params';
import type { Page, Repository } from '@/lib/types';

export function Explore() {
  const router = useRouter();
  const q = useParam('q') ?? '';
  const namespace = useParam('namespace');
  const [text, setText] = useState(q);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    setText(q);
    setCursors([undefined]);
  }, [q, namespace]);
  const results = useQuery({
    queryKey: ['explore', q, namespace, cursor],
    queryFn: () =>
      q
        ? api<Page<Repository>>('/api/search', { query: { q, cursor, limit: 20 } })
        : api<Page<Repository>>('/api/repositories', { query: { namespace, cursor, limit: 20 } }),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">{namespace && !q ? `Repositories in ${namespace}` : 'Explore repositories'}</h1>
      <form
        role="search"
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          router.push(routes.explore(text.trim() || undefined));
        }}
      >
        <label htmlFor="explore-q" className="sr-only">
          Search by name or description
        </label>
        <Input id="explore-q" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Search by name or description" className="max-w-md" />
        <Button type="submit">Search</Button>
      </form>
      {results.isPending ? (
        <Loading />
      ) : results.isError ? (
        <ErrorState message={messageOf(results.error)} />
      ) : results.data.items.length === 0 ? (
        <EmptyState title={q ? `No repository matches "${q}"` : 'No repositories to show'} />
      ) : (
        <ul className="divide-y divide-border rounded-lg border border-border bg-card">
          {results.data.items.map((r) => (
            <li key={r.name} className="flex flex-col gap-1 px-4 py-3">
              <div className="flex items-center gap-2">
                <Link href={routes.repository(r.name)} className="font-medium text-primary hover:underline">
                  {r.name}
                </Link>
                <Badge tone={r.visibility === 'public' ? 'public' : 'private'}>{r.visibility}</Badge>
                <span className="ml-auto text-xs text-muted-fg">
                  {r.pullCount} pulls · {r.lastPushedAt ? `pushed ${timeAgo(r.lastPushedAt)}` : 'never pushed'}
                </span>
              </div>
              {r.description && <p className="text-sm text-muted-fg">{r.description}</p>}
            </li>
          ))}
        </ul>
      )}
      <nav aria-label="Result pages" className="flex items-center justify-end gap-2">
        <Button variant="secondary" size="sm" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </Button>
        <Button variant="secondary" size="sm" disabled={!results.data?.nextCursor} onClick={() => results.data?.nextCursor && setCursors((c) => [...c, results.data.nextCursor])}>
          Next
        </Button>
      </nav>
    </div>
  );
}
