// Active console sessions, and "log out everywhere" (which also ends docker logins made with the password).
'use client';
import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Badge, Card, ErrorState, Loading } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { api, messageOf } from '@/lib/api';
import { formatTime } from '@/lib/format';
import { useSignOut } from '@/lib/session';
import type { ConsoleSession } from '@/lib/types';

export function SessionsSection() {
  const router = useRouter();
  const signOut = useSignOut();
  const [confirming, setConfirming] = useState(false);
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api<{ sessions: ConsoleSession[] }>('/api/auth/sessions') });
  return (
    <Card className="max-w-3xl">
      <h2 className="text-lg font-semibold">Active sessions</h2>
      {sessions.isPending ? (
        <Loading />
      ) : sessions.isError ? (
        <ErrorState message={messageOf(sessions.error)} />
      ) : (
        <ul className="mt-3 divide-y divide-border text-sm">
          {sessions.data.sessions.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-2 py-2">
              <span className="font-medium">{s.userAgent ?? 'unknown browser'}</span>
              {s.current && <Badge>this browser</Badge>}
              <span className="text-muted-fg">
                from {s.ip ?? 'unknown address'}, signed in {formatTime(s.createdAt)}, last used {formatTime(s.lastUsedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <Button variant="danger" className="mt-4" onClick={() => setConfirming(true)}>
        Log out everywhere
      </Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title="Log out everywhere?"
        description="Every console session ends, this one too, and docker logins made with your password stop working. Access tokens stay valid."
        confirmLabel="Log out everywhere"
        onConfirm={async () => {
          await signOut(true);
          router.push('/login/');
        }}
      />
    </Card>
  );
}
