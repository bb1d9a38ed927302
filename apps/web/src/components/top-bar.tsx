// The chrome's top bar: home link, repository search, namespace switcher, theme and user menus.
'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api';
import { routes } from '@/lib/params';
import { useSession, useSignOut } from '@/lib/session';
import { useTheme, type ThemeChoice } from '@/lib/theme';
import type { Me } from '@/lib/types';
import { Button } from './ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from './ui/dropdown-menu';

function ThemeMenu() {
  const [theme, setTheme] = useTheme();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Theme: ${theme}`}>
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuLabel>Theme</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={theme} onValueChange={(v) => setTheme(v as ThemeChoice)}>
          <DropdownMenuRadioItem value="light">Light</DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="dark">Dark</DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="system">System</DropdownMenuRadioItem>
        </DropdownMenuRadioGroup>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function NamespaceSwitcher({ username }: { username: string }) {
  const router = useRouter();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api<Me>('/api/me') });
  const namespaces = [username, ...(me.data?.organizations.map((o) => o.name) ?? [])];
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" aria-label="Switch namespace">
          Namespaces ▾
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuLabel>Repositories in</DropdownMenuLabel>
        {namespaces.map((ns) => (
          <DropdownMenuItem key={ns} onSelect={() => router.push(`/explore/?namespace=${encodeURIComponent(ns)}`)}>
            {ns}
          </DropdownMenuItem>
        ))}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

export function TopBar() {
  const router = useRouter();
  const session = useSession();
  const signOut = useSignOut();
  const [q, setQ] = useState('');
  const user = session.data;

  function search(e: FormEvent) {
    e.preventDefault();
    router.push(routes.explore(q.trim() || undefined));
  }

  return (
    <header className="border-b border-border bg-card">
      <nav aria-label="Main" className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4">
        <Link href="/" className="rounded font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-ring">
          DockSphere
        </Link>
        <form role="search" onSubmit={search} className="ml-2 flex-1 max-w-md">
          <label htmlFor="top-search" className="sr-only">
            Search repositories
          </label>
          <input
            id="top-search"
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Search repositories"
            className="h-8 w-full rounded-md border border-border bg-bg px-3 text-sm placeholder:text-muted-fg focus-visible:outline-2 focus-visible:outline-ring"
          />
        </form>
        <Link href="/explore/" className="rounded px-2 text-sm hover:underline focus-visible:outline-2 focus-visible:outline-ring">
          Explore
        </Link>
        {user && (
          <Link href="/docs/" className="rounded px-2 text-sm hover:underline focus-visible:outline-2 focus-visible:outline-ring">
            Docs
          </Link>
        )}
        {user && <NamespaceSwitcher username={user.username} />}
        <ThemeMenu />
        {user ? (
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="secondary" size="sm" aria-label={`Account menu for ${user.username}`}>
                {user.username} ▾
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent>
              <DropdownMenuLabel>Signed in as {user.username}</DropdownMenuLabel>
              <DropdownMenuItem onSelect={() => router.push('/')}>Dashboard</DropdownMenuItem>
              <DropdownMenuItem onSelect={() => router.push('/settings/')}>Settings</DropdownMenuItem>
              <DropdownMenuSeparator />
              <DropdownMenuItem
                onSelect={async () => {
                  await signOut();
                  router.push('/login/');
                }}
              >
                Sign out
              </DropdownMenuItem>
            </DropdownMenuContent>
          </DropdownMenu>
        ) : (
          session.isSuccess && (
            <Button asChild size="sm">
              <Link href="/login/">Sign in</Link>
            </Button>
          )
        )}
      </nav>
    </header>
  );
}
