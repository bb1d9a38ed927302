// Card, Badge and the page-state blocks (loading, empty, error) every screen uses.
import type { HTMLAttributes, ReactNode } from 'react';
import { cn } from './cn';

export function Card({ className, ...props }: HTMLAttributes<HTMLDivElement>) {
  return <div className={cn('rounded-lg border border-border bg-card p-5', className)} {...props} />;
}

export function Badge({ className, tone = 'neutral', ...props }: HTMLAttributes<HTMLSpanElement> & { tone?: 'neutral' | 'public' | 'private' | 'danger' }) {
  const tones = {
    neutral: 'border-border bg-muted text-fg',
    public: 'border-green-700/40 bg-green-700/10 text-green-800 dark:text-green-300',
    private: 'border-amber-700/40 bg-amber-700/10 text-amber-900 dark:text-amber-200',
    danger: 'border-danger/50 bg-danger/10 text-danger',
  };
  return <span className={cn('inline-flex items-center rounded-full border px-2 py-0.5 text-xs font-medium', tones[tone], className)} {...props} />;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p role="status" aria-live="polite" className="py-8 text-center text-sm text-muted-fg">
      {label}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-border p-8 text-center">
      <p className="font-medium">{title}</p>
      {children && <div className="mt-2 text-sm text-muted-fg">{children}</div>}
    </div>
  );
}

export function ErrorState({ message }: { message: string }) {
  return (
    <p role="alert" className="rounded-md border border-danger/50 bg-danger/10 px-3 py-2 text-sm text-danger">
      {message}
    </p>
  );
}
