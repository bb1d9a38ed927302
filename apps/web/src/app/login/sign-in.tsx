// Sign in: username or email and password, then, for accounts with 2FA, a TOTP code or a backup code.
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { api, messageOf } from '@/lib/api';
import { safeNext, useParam } from '@/lib/params';
import { sessionKey } from '@/lib/session';
import type { SessionUser } from '@/lib/types';

const credentials = z.object({
  username: z.string().trim().min(1, 'Enter your username or email'),
  password: z.string().min(1, 'Enter your password'),
});
const totp = z.object({ code: z.string().trim().regex(/^\d{3}\s?\d{3}$/, 'Enter the 6-digit code from your authenticator app') });
const backup = z.object({ code: z.string().trim().min(10, 'Enter one of your backup codes').max(20, 'Enter one of your backup codes') });

type LoginAnswer = { twoFactorRequired: true; challenge: string } | { twoFactorRequired?: undefined; user: SessionUser };

function SecondStep({ challenge, onDone }: { challenge: string; onDone(user: SessionUser): void }) {
  const [useBackup, setUseBackup] = useState(false);
  const [error, setError] = useState<string>();
  const form = useForm<{ code: string }>({ resolver: zodResolver(useBackup ? backup : totp), defaultValues: { code: '' } });
  const submit = form.handleSubmit(async ({ code }) => {
    setError(undefined);
    try {
      const body = useBackup ? { challenge, backupCode: code.trim() } : { challenge, code: code.replace(/\s/g, '') };
      const answer = await api<{ user: SessionUser }>('/api/auth/login/2fa', { method: 'POST', body, noRefresh: true });
      onDone(answer.user);
    } catch (err) {
      setError(messageOf(err));
    }
  });
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4">
      <h2 className="text-lg font-semibold">Two-factor authentication</h2>
      <p className="text-sm text-muted-fg">{useBackup ? 'Enter one of the backup codes you saved when you turned on two-factor authentication.' : 'Enter the code from your authenticator app.'}</p>
      <Field label={useBackup ? 'Backup code' : 'Authentication code'} error={form.formState.errors.code?.message}>
        <Input autoComplete="one-time-code" inputMode={useBackup ? 'text' : 'numeric'} autoFocus {...form.register('code')} />
      </Field>
      <FormError message={error} />
      <Button type="submit" disabled={form.formState.isSubmitting}>
        {form.formState.isSubmitting ? 'Checking…' : 'Verify'}
      </Button>
      <Button
        variant="ghost"
        onClick={() => {
          setUseBackup(!useBackup);
          setError(undefined);
          form.reset({ code: '' });
        }}
      >
        {useBackup ? 'Use the authenticator app instead' : 'Use a backup code'}
      </Button>
    </form>
  );
}

export function SignIn() {
  const router = useRouter();
  const client = useQueryClient();
  const next = safeNext(useParam('next'));
  const [challenge, setChallenge] = useState<string>();
  const [error, setError] = useState<string>();
  const form = useForm<z.infer<typeof credentials>>({ resolver: zodResolver(credentials), defaultValues: { username: '', password: '' } });

  function signedIn(user: SessionUser) {
    client.clear();
    client.setQueryData(sessionKey, user);
    router.replace(next);
  }

  const submit = form.handleSubmit(async (values) => {
    setError(undefined);
    try {
      const answer = await api<LoginAnswer>('/api/auth/login', { method: 'POST', body: values, noRefresh: true });
      if (answer.twoFactorRequired) setChallenge(answer.challenge);
      else signedIn(answer.user);
    } catch (err) {
      setError(messageOf(err));
    }
  });

  return (
    <div className="mx-auto mt-8 max-w-sm">
      <h1 className="mb-4 text-2xl font-semibold">Sign in to DockSphere</h1>
      <Card>
        {challenge ? (
          <SecondStep challenge={challenge} onDone={signedIn} />
        ) : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4">
            <Field label="Username or email" error={form.formState.errors.username?.message}>
              <Input autoComplete="username" autoFocus {...form.register('username')} />
            </Field>
            <Field label="Password" error={form.formState.errors.password?.message}>
              <Input type="password" autoComplete="current-password" {...form.register('password')} />
            </Field>
            <FormError message={error} />
            <Button type="submit" disabled={form.formState.isSubmitting}>
              {form.formState.isSubmitting ? 'Signing in…' : 'Sign in'}
            </Button>
          </form>
        )}
      </Card>
      <p className="mt-4 flex justify-between text-sm">
        <Link href="/forgot-password/" className="text-primary underline">
          Forgot password?
        </Link>
        <Link href="/signup/" className="text-primary underline">
          Create an account
        </Link>
      </p>
    </div>
  );
}
