// The repository's docs: the server-sanitized HTML (the only raw HTML the console inserts), an
// editor with live preview for writers, and the version list with author and time.
'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { FormError } from '@/components/ui/field';
import { Textarea } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf, repoPath } from '@/lib/api';
import { formatTime } from '@/lib/format';
import type { Page, RepositoryDocument } from '@/lib/types';

/** Server-sanitized HTML (rendered by the API's Markdown renderer and sanitizer). */
export function SanitizedHtml({ html, label }: { html: string; label: string }) {
  return <div aria-label={label} className="prose-docs" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** The server's rendering of what is typed, a moment after typing stops. */
export function useMarkdownPreview(markdown: string) {
  const [html, setHtml] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api<{ html: string }>('/api/docs/preview', { method: 'POST', body: { markdown }, signal: controller.signal }).then(
        (r) => {
          setHtml(r.html);
          setError(undefined);
        },
        (err) => {
          if (!controller.signal.aborted) setError(messageOf(err));
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [markdown]);
  return { html, error };
}

export function MarkdownEditor({ initial, onSave, onCancel, label }: { initial: string; onSave(markdown: string): Promise<void>; onCancel(): void; label: string }) {
  const [markdown, setMarkdown] = useState(initial);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const preview = useMarkdownPreview(markdown);
  return (
    <div className="flex flex-col gap-3">
      <div className="grid gap-4 md:grid-cols-2">
        <div className="flex flex-col gap-1.5">
          <label htmlFor="markdown-editor" className="text-sm font-medium">
            {label} (Markdown)
          </label>
          <Textarea id="markdown-editor" rows={18} value={markdown} onChange={(e) => setMarkdown(e.target.value)} />
        </div>
        <section aria-label="Preview" className="flex flex-col gap-1.5">
          <h3 className="text-sm font-medium">Preview</h3>
          <div className="min-h-40 rounded-md border border-border bg-card p-3">
            {preview.error ? <ErrorState message={preview.error} /> : <SanitizedHtml html={preview.html} label="Preview of the document" />}
          </div>
        </section>
      </div>
      <FormError message={error} />
      <div className="flex gap-2">
        <Button
          disabled={saving}
          onClick={async () => {
            setSaving(true);
            setError(undefined);
            try {
              await onSave(markdown);
            } catch (err) {
              setError(messageOf(err));
            } finally {
              setSaving(false);
            }
          }}
        >
          {saving ? 'Saving…' : 'Save'}
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}

function Versions({ repository, onView }: { repository: string; onView(version: number): void }) {
  const versions = useQuery({
    queryKey: ['doc-versions', repository],
    queryFn: () => api<Page<{ version: number; author: string; createdAt: string }>>(`/api/repositories/${repoPath(repository)}/docs/versions`, { query: { limit: 20 } }),
  });
  if (versions.isPending) return <Loading label="Loading versions…" />;
  if (versions.isError) return <ErrorState message={messageOf(versions.error)} />;
  if (versions.data.items.length === 0) return null;
  return (
    <section aria-labelledby="doc-versions" className="mt-6">
      <h3 id="doc-versions" className="mb-2 text-sm font-semibold">
        Versions
      </h3>
      <ul className="text-sm">
        {versions.data.items.map((v) => (
          <li key={v.version} className="flex items-center gap-2 py-0.5">
            <Button variant="ghost" size="sm" onClick={() => onView(v.version)}>
              Version {v.version}
            </Button>
            <span className="text-muted-fg">
              by {v.author}, {formatTime(v.createdAt)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function DocsTab({ repository, mayEdit }: { repository: string; mayEdit: boolean }) {
  const client = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [viewing, setViewing] = useState<number>();
  const path = `/api/repositories/${repoPath(repository)}/docs`;
  const doc = useQuery({
    queryKey: ['docs', repository, viewing ?? 'current'],
    queryFn: () => api<RepositoryDocument>(viewing ? `${path}/versions/${viewing}` : path),
  });
  const save = useMutation({
    mutationFn: (markdown: string) => api<RepositoryDocument>(path, { method: 'PUT', body: { markdown, baseVersion: doc.data?.version ?? 0 } }),
    onSuccess: async (saved) => {
      client.setQueryData(['docs', repository, 'current'], saved);
      await client.invalidateQueries({ queryKey: ['doc-versions', repository] });
      setEditing(false);
      toast.show(`Docs saved as version ${saved.version}`);
    },
  });
  if (doc.isPending) return <Loading label="Loading docs…" />;
  if (doc.isError) return <ErrorState message={messageOf(doc.error)} />;
  if (editing) {
    return <MarkdownEditor label="Repository docs" initial={doc.data.markdown} onSave={async (md) => void (await save.mutateAsync(md))} onCancel={() => setEditing(false)} />;
  }
  return (
    <div>
      <div className="mb-3 flex items-center gap-2">
        {viewing ? (
          <>
            <p className="text-sm text-muted-fg">
              Viewing version {viewing} by {doc.data.author}, {formatTime(doc.data.updatedAt)}.
            </p>
            <Button variant="secondary" size="sm" onClick={() => setViewing(undefined)}>
              Back to the current version
            </Button>
          </>
        ) : (
          mayEdit && (
            <Button size="sm" onClick={() => setEditing(true)}>
              Edit docs
            </Button>
          )
        )}
      </div>
      {doc.data.html ? (
        <SanitizedHtml html={doc.data.html} label="Repository docs" />
      ) : (
        <EmptyState title="No docs yet">{mayEdit ? 'Describe how to use this image: Edit docs.' : 'The owners have not written any.'}</EmptyState>
      )}
      <Versions repository={repository} onView={setViewing} />
    </div>
  );
}
