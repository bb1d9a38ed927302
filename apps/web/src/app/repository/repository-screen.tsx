// The repository page: header (visibility, description, pull command), then tabs for tags, docs
// and, for its admins, settings. A repository the visitor may not read looks exactly missing.
'use client';
import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import NotFound from '@/app/not-found';
import { usePageTitle } from '@/components/page-title';
import { useRegistryHost } from '@/components/push-commands';
import { Badge, ErrorState, Loading } from '@/components/ui/card';
import { CopyField } from '@/components/ui/copy-button';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { api, ApiError, messageOf, repoPath } from '@/lib/api';
import { routes, useParam } from '@/lib/params';
import type { Repository } from '@/lib/types';
import { DocsTab } from './docs-tab';
import { SettingsTab } from './settings-tab';
import { TagsTable } from './tags-table';

export function useRepository(name: string | undefined) {
  return useQuery({
    queryKey: ['repository', name],
    queryFn: () => api<Repository>(`/api/repositories/${repoPath(name as string)}`),
    enabled: !!name,
  });
}

export function RepositoryScreen() {
  const router = useRouter();
  const name = useParam('name');
  const tab = useParam('tab') ?? 'tags';
  const repository = useRepository(name);
  const host = useRegistryHost();
  usePageTitle(name);
  if (!name) return <NotFound />;
  if (repository.isPending) return <Loading />;
  if (repository.isError) {
    const err = repository.error;
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return <NotFound />;
    return <ErrorState message={messageOf(err)} />;
  }
  const repo = repository.data;
  const permission = repo.permission ?? null;
  const mayWrite = permission === 'write' || permission === 'admin' || permission === 'site-admin';
  const mayAdmin = permission === 'admin' || permission === 'site-admin';
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold break-all">{repo.name}</h1>
        <Badge tone={repo.visibility === 'public' ? 'public' : 'private'}>{repo.visibility}</Badge>
      </div>
      {repo.description && <p className="text-muted-fg">{repo.description}</p>}
      <CopyField label="pull command" value={`docker pull ${host}/${repo.name}`} />
      <Tabs value={tab} onValueChange={(next) => router.replace(routes.repository(repo.name, next === 'tags' ? undefined : next))}>
        <TabsList aria-label="Repository sections">
          <TabsTrigger value="tags">Tags</TabsTrigger>
          <TabsTrigger value="docs">Docs</TabsTrigger>
          {mayAdmin && <TabsTrigger value="settings">Settings</TabsTrigger>}
        </TabsList>
        <TabsContent value="tags">
          <TagsTable repository={repo.name} mayDelete={mayAdmin} />
        </TabsContent>
        <TabsContent value="docs">
          <DocsTab repository={repo.name} mayEdit={mayWrite} />
        </TabsContent>
        {mayAdmin && (
          <TabsContent value="settings">
            <SettingsTab repository={repo} />
          </TabsContent>
        )}
      </Tabs>
    </div>
  );
}
