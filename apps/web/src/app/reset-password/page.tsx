// Reset password from the mailed link (/reset-password#token=…: the token never reaches a server log).
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Card, ErrorState } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { api, messageOf } from '@/lib/api';

const schema = z
  .object({ newPassword: z.string().min(1, 'Choose a new password'), confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, { path: ['confirm'], message: 'The passwords differ' });

export default function ResetPasswordPage() {
  const [token, setToken] = useState<string | null>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { newPassword: '', confirm: '' } });
  useEffect(() => setToken(new URLSearchParams(window.location.hash.slice(1)).get('token')), []);
  const submit = form.handleSubmit(async ({ newPassword }) => {
    setError(undefined);
    try {
      await api('/api/auth/password-reset/complete', { method: 'POST', body: { token, newPassword }, noRefresh: true });
      setDone(true);
    } catch (err) {
      setError(messageOf(err));
    }
  });
  return (
    <div className="mx-auto mt-8 max-w-sm">
      <h1 className="mb-4 text-2xl font-semibold">Choose a new password</h1>
      <Card>
        {token === null ? (
          <ErrorState message="This link has no reset token: open the link from the email again, or ask for a new one." />
        ) : done ? (
          <p role="status">
            Your password was changed and every session signed out.{' '}
            <Link href="/login/" className="text-primary underline">
              Sign in
            </Link>
          </p>
        ) : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4">
            <Field label="New password" error={form.formState.errors.newPassword?.message}>
              <Input type="password" autoComplete="new-password" {...form.register('newPassword')} />
            </Field>
            <Field label="Confirm new password" error={form.formState.errors.confirm?.message}>
              <Input type="password" autoComplete="new-password" {...form.register('confirm')} />
            </Field>
            <FormError message={error} />
            <Button type="submit" disabled={form.formState.isSubmitting || !token}>
              Set password
            </Button>
          </form>
        )}
      </Card>
    </div>
  );
}
