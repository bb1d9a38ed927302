// Sets the document title from a client page (static export pages share one <head> per file).
'use client';
import { useEffect } from 'react';

export function usePageTitle(title: string | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · DockSphere`;
  }, [title]);
}
