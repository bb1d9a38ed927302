// The dashboard: my repositories, my teams, recent pushes; an empty state with push commands.
'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { RequireSession } from '@/components/require-session';
import { PushCommands } from '@/components/push-commands';
import { Badge, Card, EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { api, messageOf } from '@/lib/api';
import { shortDigest, timeAgo } from '@/lib/format';
import { routes } from '@/lib/params';
import type { Dashboard as DashboardData, SessionUser } from '@/lib/types';

function DashboardBody({ user }: { user: SessionUser }) {
  const dashboard = useQuery({ queryKey: ['dashboard'], queryFn: () => api<DashboardData>('/api/dashboard') });
  if (dashboard.isPending) return <Loading />;
  if (dashboard.isError) return <ErrorState message={messageOf(dashboard.error)} />;
  const { repositories, recentPushes, teams, hasMoreRepositories } = dashboard.data;
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Welcome, {user.displayName || user.username}</h1>
      {repositories.length === 0 ? (
        <Card>
          <h2 className="text-lg font-semibold">Push your first image</h2>
          <p className="mt-1 mb-4 text-sm text-muted-fg">You have no repositories yet. A push creates one in your namespace:</p>
          <PushCommands namespace={user.username} />
        </Card>
      ) : (
        <div className="grid gap-6 md:grid-cols-3">
          <section aria-labelledby="my-repos" className="md:col-span-2">
            <h2 id="my-repos" className="mb-2 text-lg font-semibold">
              My repositories
            </h2>
            <ul className="divide-y divide-border rounded-lg border border-border bg-card">
              {repositories.map((r) => (
                <li key={r.name} className="flex items-center gap-3 px-4 py-3">
                  <Link href={routes.repository(r.name)} className="font-medium text-primary hover:underline">
                    {r.name}
                  </Link>
                  <Badge tone={r.visibility === 'public' ? 'public' : 'private'}>{r.visibility}</Badge>
                  <span className="ml-auto text-xs text-muted-fg">{r.lastPushedAt ? `pushed ${timeAgo(r.lastPushedAt)}` : 'never pushed'}</span>
                </li>
              ))}
            </ul>
            {hasMoreRepositories && (
              <Link className="mt-2 inline-block text-sm text-primary underline" href={`/explore/?namespace=${encodeURIComponent(user.username)}`}>
                All my repositories
              </Link>
            )}
          </section>
          <section aria-labelledby="recent-pushes">
            <h2 id="recent-pushes" className="mb-2 text-lg font-semibold">
              Recent pushes
            </h2>
            {recentPushes.length === 0 ? (
              <EmptyState title="No pushes yet" />
            ) : (
              <ul className="flex flex-col gap-2 text-sm">
                {recentPushes.map((p) => (
                  <li key={`${p.repository}:${p.tag}:${p.at}`} className="rounded-md border border-border bg-card px-3 py-2">
                    <Link href={routes.tag(p.repository, p.tag)} className="font-medium text-primary hover:underline">
                      {p.repository}:{p.tag}
                    </Link>
                    <div className="text-xs text-muted-fg">
                      <span className="font-mono">{shortDigest(p.digest)}</span> by {p.by}, {timeAgo(p.at)}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            <h2 className="mt-6 mb-2 text-lg font-semibold">My teams</h2>
            {teams.length === 0 ? (
              <p className="text-sm text-muted-fg">You are in no team.</p>
            ) : (
              <ul className="text-sm">
                {teams.map((t) => (
                  <li key={`${t.organization ?? t.org}/${t.name}`}>
                    {t.organization ?? t.org}/{t.name}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

export function Dashboard() {
  return <RequireSession>{(user) => <DashboardBody user={user} />}</RequireSession>;
}
