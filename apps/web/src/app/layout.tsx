// The console's shell: theme before paint (an external script), providers, top bar, main area.
import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import { TopBar } from '@/components/top-bar';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'DockSphere', template: '%s · DockSphere' },
  description: 'DockSphere container registry console',
};

export const viewport: Viewport = { colorScheme: 'light dark' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* Runs before the first paint (no theme flash); a file, so the CSP needs no unsafe-inline. */}
        <script src="/theme.js" />
      </head>
      <body className="min-h-screen">
        <Providers>
          <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-card focus:px-3 focus:py-2">
            Skip to content
          </a>
          <TopBar />
          <main id="main" className="mx-auto w-full max-w-6xl px-4 py-6">
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
