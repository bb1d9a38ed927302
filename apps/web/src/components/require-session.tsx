// Screens for signed-in users: shows the sign-in link to anonymous visitors instead.
'use client';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { messageOf } from '@/lib/api';
import { useSession } from '@/lib/session';
import type { SessionUser } from '@/lib/types';
import { ErrorState, Loading } from './ui/card';

export function RequireSession({ children }: { children: (user: SessionUser) => ReactNode }) {
  const session = useSession();
  if (session.isPending) return <Loading />;
  if (session.isError) return <ErrorState message={messageOf(session.error)} />;
  if (!session.data) {
    const here = typeof window === 'undefined' ? '/' : window.location.pathname + window.location.search;
    return (
      <div className="mx-auto mt-10 max-w-md text-center">
        <h1 className="text-xl font-semibold">Sign in required</h1>
        <p className="mt-2 text-sm text-muted-fg">This page is for signed-in users.</p>
        <Link className="mt-4 inline-block text-primary underline" href={`/login/?next=${encodeURIComponent(here)}`}>
          Sign in
        </Link>
      </div>
    );
  }
  return <>{children(session.data)}</>;
}
