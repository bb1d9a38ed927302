// Two-factor authentication: enrol (password, QR code and the secret as text, confirm with a
// code), then the 10 backup codes shown once with copy and download; regenerate codes; turn off.
'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, ErrorState, Loading } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { Field, FormError } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf } from '@/lib/api';
import { sessionKey } from '@/lib/session';

function BackupCodes({ codes, onDone }: { codes: string[]; onDone(): void }) {
  const text = codes.join('\n') + '\n';
  const [href] = useState(() => URL.createObjectURL(new Blob([text], { type: 'text/plain' })));
  return (
    <div role="status" className="flex flex-col gap-3 rounded-md border border-green-700/50 bg-green-700/10 p-4">
      <p className="font-medium">Save these backup codes now: they are shown only once. Each signs you in once without your authenticator.</p>
      <ul aria-label="Backup codes" className="grid grid-cols-2 gap-1 font-mono text-sm">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="flex gap-2">
        <CopyButton value={text} label="Copy backup codes" />
        <Button asChild variant="secondary" size="sm">
          <a href={href} download="docksphere-backup-codes.txt">
            Download
          </a>
        </Button>
        <Button size="sm" onClick={onDone}>
          I saved them
        </Button>
      </div>
    </div>
  );
}

function CodeForm({ label, action, onSubmit, danger }: { label: string; action: string; onSubmit(code: string): Promise<void>; danger?: boolean }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!/^\d{3}\s?\d{3}$/.test(code.trim())) return setError('Enter the 6-digit code from your authenticator app');
        setBusy(true);
        setError(undefined);
        try {
          await onSubmit(code.replace(/\s/g, ''));
          setCode('');
        } catch (err) {
          setError(messageOf(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label={label} error={error}>
        <Input inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} className="max-w-48" />
      </Field>
      <Button type="submit" variant={danger ? 'danger' : 'primary'} className="self-start" disabled={busy}>
        {action}
      </Button>
    </form>
  );
}

export function TwoFactorSection() {
  const client = useQueryClient();
  const toast = useToast();
  const status = useQuery({ queryKey: ['2fa'], queryFn: () => api<{ enabled: boolean; backupCodesLeft: number }>('/api/auth/2fa') });
  const [password, setPassword] = useState('');
  const [enrolError, setEnrolError] = useState<string>();
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string; qrCodeDataUrl: string }>();
  const [codes, setCodes] = useState<string[]>();

  async function refresh() {
    await client.invalidateQueries({ queryKey: ['2fa'] });
    await client.invalidateQueries({ queryKey: sessionKey });
  }

  if (codes) return <BackupCodes codes={codes} onDone={() => setCodes(undefined)} />;
  if (status.isPending) return <Loading />;
  if (status.isError) return <ErrorState message={messageOf(status.error)} />;

  if (status.data.enabled) {
    return (
      <div className="flex max-w-xl flex-col gap-6">
        <Card>
          <h2 className="text-lg font-semibold">Two-factor authentication is on</h2>
          <p className="mt-1 text-sm text-muted-fg">{status.data.backupCodesLeft} unused backup codes left.</p>
        </Card>
        <Card>
          <h3 className="mb-3 font-semibold">New backup codes</h3>
          <CodeForm
            label="Code from your authenticator app"
            action="Generate new backup codes"
            onSubmit={async (code) => {
              const answer = await api<{ backupCodes: string[] }>('/api/auth/2fa/backup-codes', { method: 'POST', body: { code } });
              setCodes(answer.backupCodes);
              await refresh();
            }}
          />
        </Card>
        <Card className="border-danger/60">
          <h3 className="mb-3 font-semibold">Turn off two-factor authentication</h3>
          <CodeForm
            label="Code to turn off"
            action="Turn off"
            danger
            onSubmit={async (code) => {
              await api('/api/auth/2fa/disable', { method: 'POST', body: { code } });
              await refresh();
              toast.show('Two-factor authentication is off');
            }}
          />
        </Card>
      </div>
    );
  }

  return (
    <Card className="flex max-w-xl flex-col gap-4">
      <h2 className="text-lg font-semibold">Two-factor authentication is off</h2>
      {!enrolment ? (
        <form
          className="flex flex-col gap-3"
          onSubmit={async (e) => {
            e.preventDefault();
            setEnrolError(undefined);
            try {
              setEnrolment(await api('/api/auth/2fa/enrol', { method: 'POST', body: { password } }));
              setPassword('');
            } catch (err) {
              setEnrolError(messageOf(err));
            }
          }}
        >
          <p className="text-sm text-muted-fg">Protect your account with codes from an authenticator app. Docker logins then need an access token.</p>
          <Field label="Confirm your password">
            <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <FormError message={enrolError} />
          <Button type="submit" className="self-start">
            Set up two-factor authentication
          </Button>
        </form>
      ) : (
        <div className="flex flex-col gap-4">
          <p className="text-sm">Scan this QR code with your authenticator app, or enter the secret by hand.</p>
          {/* A data: URL the API rendered; the CSP allows data: images. */}
          <img src={enrolment.qrCodeDataUrl} alt="QR code for your authenticator app" width={180} height={180} className="rounded-md bg-white p-2" />
          <div className="flex items-center gap-2">
            <code aria-label="Secret" className="font-mono text-sm break-all">
              {enrolment.secret}
            </code>
            <CopyButton value={enrolment.secret} label="Copy secret" />
          </div>
          <CodeForm
            label="Code from the app"
            action="Turn on"
            onSubmit={async (code) => {
              const answer = await api<{ backupCodes: string[] }>('/api/auth/2fa/activate', { method: 'POST', body: { code } });
              setEnrolment(undefined);
              setCodes(answer.backupCodes);
              await refresh();
            }}
          />
        </div>
      )}
    </Card>
  );
}
