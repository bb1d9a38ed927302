// Forgot password: asks for a reset link by email; the answer never says whether the address exists.
'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import Link from 'next/link';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { api, messageOf } from '@/lib/api';

const schema = z.object({ email: z.string().trim().email('Enter a valid email address') });

export default function ForgotPasswordPage() {
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState<string>();
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { email: '' } });
  const submit = form.handleSubmit(async (values) => {
    setError(undefined);
    try {
      const answer = await api<{ message: string }>('/api/auth/password-reset', { method: 'POST', body: values, noRefresh: true });
      setSent(answer.message);
    } catch (err) {
      setError(messageOf(err));
    }
  });
  return (
    <div className="mx-auto mt-8 max-w-sm">
      <h1 className="mb-4 text-2xl font-semibold">Reset your password</h1>
      <Card>
        {sent ? (
          <p role="status" className="text-sm">
            {sent.charAt(0).toUpperCase() + sent.slice(1)}.
          </p>
        ) : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4">
            <Field label="Email" error={form.formState.errors.email?.message} hint="We send a link to reset the password of the account with this address.">
              <Input type="email" autoComplete="email" {...form.register('email')} />
            </Field>
            <FormError message={error} />
            <Button type="submit" disabled={form.formState.isSubmitting}>
              Send reset link
            </Button>
          </form>
        )}
      </Card>
      <Link href="/login/" className="mt-4 inline-block text-sm text-primary underline">
        Back to sign in
      </Link>
    </div>
  );
}
