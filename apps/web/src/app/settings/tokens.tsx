// Personal access tokens: create (name, scopes, expiry) shown once with a copy button and the
// docker login command; list with last use; revoke with a confirmation.
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { z } from 'zod';
import { useRegistryHost } from '@/components/push-commands';
import { Button } from '@/components/ui/button';
import { Badge, Card, EmptyState, ErrorState, Loading } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { CopyField } from '@/components/ui/copy-button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf } from '@/lib/api';
import { formatTime } from '@/lib/format';
import type { AccessToken } from '@/lib/types';

const SCOPES = ['pull', 'push', 'delete'] as const;
const schema = z.object({
  name: z.string().trim().min(1, 'Name the token (where it is used)').max(100, 'At most 100 characters'),
  scopes: z.array(z.enum(SCOPES)).min(1, 'Choose at least one scope'),
  expiresInDays: z.enum(['7', '30', '90', '365', 'never']),
});
type Values = z.infer<typeof schema>;

function NewToken({ username, onCreated }: { username: string; onCreated(): void }) {
  const host = useRegistryHost();
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: '', scopes: ['pull', 'push'], expiresInDays: '90' } });
  const submit = form.handleSubmit(async ({ name, scopes, expiresInDays }) => {
    setError(undefined);
    try {
      const created = await api<{ token: string }>('/api/auth/tokens', {
        method: 'POST',
        body: { name, scopes, ...(expiresInDays === 'never' ? {} : { expiresInDays: Number(expiresInDays) }) },
      });
      setSecret(created.token);
      form.reset();
      onCreated();
    } catch (err) {
      setError(messageOf(err));
    }
  });
  return (
    <Card className="flex flex-col gap-4">
      <h2 className="text-lg font-semibold">New access token</h2>
      {secret && (
        <div role="status" className="flex flex-col gap-2 rounded-md border border-green-700/50 bg-green-700/10 p-3">
          <p className="text-sm font-medium">Copy the token now: it is shown only once.</p>
          <CopyField label="new access token" value={secret} />
          <p className="text-sm">Use it as the password of docker login:</p>
          <CopyField label="docker login command" value={`docker login ${host} -u ${username}`} />
          <Button variant="secondary" size="sm" className="self-start" onClick={() => setSecret(undefined)}>
            Done
          </Button>
        </div>
      )}
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        <Field label="Token name" error={form.formState.errors.name?.message}>
          <Input autoComplete="off" {...form.register('name')} />
        </Field>
        <fieldset>
          <legend className="text-sm font-medium">Scopes</legend>
          <Controller
            control={form.control}
            name="scopes"
            render={({ field }) => (
              <div className="mt-2 flex gap-4">
                {SCOPES.map((scope) => (
                  <label key={scope} className="flex items-center gap-2 text-sm">
                    <Checkbox
                      checked={field.value.includes(scope)}
                      onCheckedChange={(v) => field.onChange(v ? [...field.value, scope] : field.value.filter((s) => s !== scope))}
                      aria-label={`Scope ${scope}`}
                    />
                    {scope}
                  </label>
                ))}
              </div>
            )}
          />
          {form.formState.errors.scopes && (
            <p role="alert" className="mt-1 text-xs text-danger">
              {form.formState.errors.scopes.message}
            </p>
          )}
        </fieldset>
        <Field label="Expires">
          <select className="h-9 rounded-md border border-border bg-card px-2 text-sm focus-visible:outline-2 focus-visible:outline-ring" {...form.register('expiresInDays')}>
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </select>
        </Field>
        <FormError message={error} />
        <Button type="submit" className="self-start" disabled={form.formState.isSubmitting}>
          Create token
        </Button>
      </form>
    </Card>
  );
}

export function TokensSection({ username }: { username: string }) {
  const client = useQueryClient();
  const toast = useToast();
  const [revoking, setRevoking] = useState<AccessToken>();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api<{ tokens: AccessToken[] }>('/api/auth/tokens') });
  const live = tokens.data?.tokens.filter((t) => !t.revokedAt) ?? [];
  return (
    <div className="flex max-w-3xl flex-col gap-6">
      <NewToken username={username} onCreated={() => void client.invalidateQueries({ queryKey: ['tokens'] })} />
      <section aria-labelledby="token-list">
        <h2 id="token-list" className="mb-2 text-lg font-semibold">
          Your tokens
        </h2>
        {tokens.isPending ? (
          <Loading />
        ) : tokens.isError ? (
          <ErrorState message={messageOf(tokens.error)} />
        ) : live.length === 0 ? (
          <EmptyState title="No access tokens">Create one to log in with docker when two-factor authentication is on, or from CI.</EmptyState>
        ) : (
          <ul className="divide-y divide-border rounded-lg border border-border bg-card">
            {live.map((t) => (
              <li key={t.id} className="flex flex-wrap items-center gap-2 px-4 py-3 text-sm">
                <span className="font-medium">{t.name}</span>
                <code className="font-mono text-xs text-muted-fg">{t.hint}</code>
                {t.scopes.map((s) => (
                  <Badge key={s}>{s}</Badge>
                ))}
                <span className="text-xs text-muted-fg">
                  {t.lastUsedAt ? `last used ${formatTime(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp}` : ''}` : 'never used'} · {t.expiresAt ? `expires ${formatTime(t.expiresAt)}` : 'never expires'}
                </span>
                <Button variant="danger" size="sm" className="ml-auto" onClick={() => setRevoking(t)}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <ConfirmDialog
        open={!!revoking}
        onOpenChange={(open) => !open && setRevoking(undefined)}
        title={`Revoke ${revoking?.name ?? ''}?`}
        description="Anything using this token (docker logins, CI) stops working at once."
        confirmLabel="Revoke"
        onConfirm={async () => {
          if (!revoking) return;
          await api(`/api/auth/tokens/${revoking.id}`, { method: 'DELETE' });
          await client.invalidateQueries({ queryKey: ['tokens'] });
          toast.show(`Revoked ${revoking.name}`);
        }}
      />
    </div>
  );
}
