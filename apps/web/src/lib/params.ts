// Query-string routes: the console is a static export, so /repository/?name=team/app is one file
// that reads its parameter in the browser. useParam stays undefined until the URL is read.
'use client';
import { useSearchParams } from 'next/navigation';

export function useParam(name: string): string | undefined {
  const params = useSearchParams();
  return params.get(name) ?? undefined;
}

export const routes = {
  repository: (name: string, tab?: string) => `/repository/?name=${encodeURIComponent(name)}${tab ? `&tab=${tab}` : ''}`,
  tag: (name: string, tag: string) => `/tag/?name=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`,
  explore: (q?: string) => (q ? `/explore/?q=${encodeURIComponent(q)}` : '/explore/'),
  signIn: (next?: string) => (next ? `/login/?next=${encodeURIComponent(next)}` : '/login/'),
  docs: (slug?: string) => (slug ? `/docs/?page=${encodeURIComponent(slug)}` : '/docs/'),
};

/** A "next" target is only ever a path on this site. */
export function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
