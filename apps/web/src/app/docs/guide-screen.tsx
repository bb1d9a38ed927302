// The documentation pages shipped with the product (the user guide): readable by everyone signed
// in, edited by site admins with the same Markdown editor and live preview as repository docs.
'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import NotFound from '@/app/not-found';
import { MarkdownEditor, SanitizedHtml } from '@/app/repository/docs-tab';
import { usePageTitle } from '@/components/page-title';
import { RequireSession } from '@/components/require-session';
import { Button } from '@/components/ui/button';
import { ErrorState, Loading } from '@/components/ui/card';
import { useToast } from '@/components/ui/toast';
import { api, ApiError, messageOf } from '@/lib/api';
import { formatTime } from '@/lib/format';
import { routes, useParam } from '@/lib/params';
import type { Page } from '@/lib/types';

interface GuidePage {
  slug: string;
  title: string;
  position: number;
  version: number;
  markdown: string;
  html: string;
  author: string;
  updatedAt: string;
}

function GuideBody({ admin }: { admin: boolean }) {
  const client = useQueryClient();
  const toast = useToast();
  const slug = useParam('page');
  const [editing, setEditing] = useState(false);
  const list = useQuery({ queryKey: ['pages'], queryFn: () => api<Page<Omit<GuidePage, 'markdown' | 'html' | 'author'>>>('/api/pages', { query: { limit: 100 } }) });
  const current = slug ?? list.data?.items[0]?.slug;
  const page = useQuery({ queryKey: ['page', current], queryFn: () => api<GuidePage>(`/api/pages/${encodeURIComponent(current as string)}`), enabled: !!current });
  usePageTitle(page.data?.title ?? 'Docs');
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorState message={messageOf(list.error)} />;
  return (
    <div className="grid gap-6 md:grid-cols-[14rem_1fr]">
      <nav aria-label="Documentation pages">
        <ul className="flex flex-col gap-1 text-sm">
          {list.data.items.map((p) => (
            <li key={p.slug}>
              <Link href={routes.docs(p.slug)} aria-current={p.slug === current ? 'page' : undefined} className="block rounded px-2 py-1 hover:bg-muted aria-[current=page]:bg-muted aria-[current=page]:font-semibold">
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <article>
        {!current ? (
          <p className="text-sm text-muted-fg">No documentation pages yet.</p>
        ) : page.isPending ? (
          <Loading />
        ) : page.isError ? (
          page.error instanceof ApiError && page.error.status === 404 ? <NotFound /> : <ErrorState message={messageOf(page.error)} />
        ) : editing ? (
          <MarkdownEditor
            label={page.data.title}
            initial={page.data.markdown}
            onCancel={() => setEditing(false)}
            onSave={async (markdown) => {
              const saved = await api<GuidePage>(`/api/pages/${encodeURIComponent(page.data.slug)}`, {
                method: 'PUT',
                body: { title: page.data.title, markdown, position: page.data.position, baseVersion: page.data.version },
              });
              client.setQueryData(['page', saved.slug], saved);
              setEditing(false);
              toast.show(`Saved ${saved.title}`);
            }}
          />
        ) : (
          <>
            <div className="mb-3 flex items-center gap-3">
              <p className="text-xs text-muted-fg">
                Version {page.data.version}, by {page.data.author}, {formatTime(page.data.updatedAt)}
              </p>
              {admin && (
                <Button size="sm" variant="secondary" onClick={() => setEditing(true)}>
                  Edit page
                </Button>
              )}
            </div>
            <SanitizedHtml html={page.data.html} label={page.data.title} />
          </>
        )}
      </article>
    </div>
  );
}

export function GuideScreen() {
  return <RequireSession>{(user) => <GuideBody admin={user.admin} />}</RequireSession>;
}
