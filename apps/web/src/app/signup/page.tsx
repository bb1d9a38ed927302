// Sign up: open where the site allows it, or with an invite code (from an invite link ?invite=…).
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import Link from 'next/link';
import { Suspense, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { api, messageOf } from '@/lib/api';
import { useParam } from '@/lib/params';

const schema = z
  .object({
    username: z
      .string()
      .trim()
      .min(2, 'At least 2 characters')
      .max(64, 'At most 64 characters')
      .regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/, 'Lower-case letters and digits, separated by . _ __ or -'),
    email: z.string().trim().email('Enter a valid email address'),
    displayName: z.string().max(128).optional(),
    password: z.string().min(1, 'Choose a password'),
    confirm: z.string(),
    inviteCode: z.string().optional(),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The passwords differ' });
type Values = z.infer<typeof schema>;

function SignUpForm() {
  const invite = useParam('invite');
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<string>();
  const form = useForm<Values>({ resolver: zodResolver(schema), values: { username: '', email: '', displayName: '', password: '', confirm: '', inviteCode: invite ?? '' } });
  const e = form.formState.errors;
  const submit = form.handleSubmit(async ({ confirm: _confirm, inviteCode, displayName, ...values }) => {
    setError(undefined);
    try {
      const body = { ...values, ...(displayName ? { displayName } : {}), ...(inviteCode ? { inviteCode: inviteCode.trim() } : {}) };
      const answer = await api<{ user: { username: string } }>('/api/auth/signup', { method: 'POST', body, noRefresh: true });
      setCreated(answer.user.username);
    } catch (err) {
      setError(messageOf(err));
    }
  });
  if (created) {
    return (
      <Card>
        <p role="status">
          Account <strong>{created}</strong> created.
        </p>
        <Link href="/login/" className="mt-3 inline-block text-primary underline">
          Sign in
        </Link>
      </Card>
    );
  }
  return (
    <Card>
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        <Field label="Username" error={e.username?.message} hint="Your namespace: images go to <host>/<username>/<image>.">
          <Input autoComplete="username" {...form.register('username')} />
        </Field>
        <Field label="Email" error={e.email?.message}>
          <Input type="email" autoComplete="email" {...form.register('email')} />
        </Field>
        <Field label="Display name (optional)" error={e.displayName?.message}>
          <Input autoComplete="name" {...form.register('displayName')} />
        </Field>
        <Field label="Password" error={e.password?.message}>
          <Input type="password" autoComplete="new-password" {...form.register('password')} />
        </Field>
        <Field label="Confirm password" error={e.confirm?.message}>
          <Input type="password" autoComplete="new-password" {...form.register('confirm')} />
        </Field>
        <Field label="Invite code (if you were sent one)" error={e.inviteCode?.message}>
          <Input autoComplete="off" {...form.register('inviteCode')} />
        </Field>
        <FormError message={error} />
        <Button type="submit" disabled={form.formState.isSubmitting}>
          {form.formState.isSubmitting ? 'Creating…' : 'Create account'}
        </Button>
      </form>
    </Card>
  );
}

export default function SignUpPage() {
  return (
    <div className="mx-auto mt-8 max-w-sm">
      <h1 className="mb-4 text-2xl font-semibold">Create an account</h1>
      <Suspense>
        <SignUpForm />
      </Suspense>
      <p className="mt-4 text-sm">
        Have an account?{' '}
        <Link href="/login/" className="text-primary underline">
          Sign in
        </Link>
      </p>
    </div>
  );
}
