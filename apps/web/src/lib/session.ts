// Who is signed in: the session query every screen shares, and the actions that change it.
'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from './api';
import type { SessionUser } from './types';

export const sessionKey = ['session'] as const;

/** The signed-in user, or null for an anonymous visitor. */
export function useSession() {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async (): Promise<SessionUser | null> => {
      try {
        const s = await api<{ user: SessionUser }>('/api/auth/session');
        return s.user;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return async (everywhere = false) => {
    try {
      await api(everywhere ? '/api/auth/logout-everywhere' : '/api/auth/logout', { method: 'POST' });
    } finally {
      client.clear();
      client.setQueryData(sessionKey, null);
    }
  };
}
