// Change password (local accounts; LDAP users change theirs in the directory).
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf } from '@/lib/api';

const schema = z
  .object({ currentPassword: z.string().min(1, 'Enter your current password'), newPassword: z.string().min(1, 'Choose a new password'), confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, { path: ['confirm'], message: 'The passwords differ' });

export function PasswordSection({ source }: { source: string }) {
  const toast = useToast();
  const [error, setError] = useState<string>();
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { currentPassword: '', newPassword: '', confirm: '' } });
  if (source !== 'local') {
    return (
      <Card className="max-w-xl">
        <p className="text-sm">Your account comes from the directory ({source}): change your password there.</p>
      </Card>
    );
  }
  const e = form.formState.errors;
  const submit = form.handleSubmit(async ({ currentPassword, newPassword }) => {
    setError(undefined);
    try {
      await api('/api/auth/password', { method: 'POST', body: { currentPassword, newPassword } });
      form.reset();
      toast.show('Password changed');
    } catch (err) {
      setError(messageOf(err));
    }
  });
  return (
    <Card className="max-w-xl">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        <h2 className="text-lg font-semibold">Change password</h2>
        <Field label="Current password" error={e.currentPassword?.message}>
          <Input type="password" autoComplete="current-password" {...form.register('currentPassword')} />
        </Field>
        <Field label="New password" error={e.newPassword?.message}>
          <Input type="password" autoComplete="new-password" {...form.register('newPassword')} />
        </Field>
        <Field label="Confirm new password" error={e.confirm?.message}>
          <Input type="password" autoComplete="new-password" {...form.register('confirm')} />
        </Field>
        <FormError message={error} />
        <Button type="submit" className="self-start" disabled={form.formState.isSubmitting}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
