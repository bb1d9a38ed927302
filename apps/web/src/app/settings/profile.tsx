// Profile: display name and bio, and the avatar with a preview (type and size checked before upload).
'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, ErrorState, Loading } from '@/components/ui/card';
import { Field, FormError } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf } from '@/lib/api';
import type { Me } from '@/lib/types';

const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const AVATAR_MAX_BYTES = 1024 * 1024;

function AvatarForm({ me }: { me: Me }) {
  const client = useQueryClient();
  const toast = useToast();
  const [file, setFile] = useState<File>();
  const [preview, setPreview] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!file) return setPreview(undefined);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);
  const shown = preview ?? me.avatarUrl ?? undefined;
  return (
    <div className="flex flex-col gap-3">
      <h3 className="font-semibold">Avatar</h3>
      <div className="flex items-center gap-4">
        {shown ? (
          <img src={shown} alt={preview ? 'Preview of the new avatar' : 'Your avatar'} width={64} height={64} className="h-16 w-16 rounded-full border border-border object-cover" />
        ) : (
          <div aria-hidden className="flex h-16 w-16 items-center justify-center rounded-full bg-muted text-xl font-semibold">
            {me.username.charAt(0).toUpperCase()}
          </div>
        )}
        <Field label="Choose an image" hint="PNG, JPEG, GIF or WebP, at most 1 MiB.">
          <input
            type="file"
            accept={AVATAR_TYPES.join(',')}
            className="text-sm file:mr-2 file:rounded-md file:border file:border-border file:bg-muted file:px-2 file:py-1"
            onChange={(e) => {
              const chosen = e.target.files?.[0];
              setError(undefined);
              if (!chosen) return setFile(undefined);
              if (!AVATAR_TYPES.includes(chosen.type)) return setError('Choose a PNG, JPEG, GIF or WebP image.');
              if (chosen.size > AVATAR_MAX_BYTES) return setError(`The image is ${(chosen.size / 1024 / 1024).toFixed(1)} MiB; at most 1 MiB.`);
              setFile(chosen);
            }}
          />
        </Field>
      </div>
      <FormError message={error} />
      <div className="flex gap-2">
        <Button
          disabled={!file}
          onClick={async () => {
            if (!file) return;
            try {
              await api('/api/me/avatar', { method: 'PUT', body: file, headers: { 'content-type': file.type } });
              setFile(undefined);
              await client.invalidateQueries({ queryKey: ['me'] });
              toast.show('Avatar updated');
            } catch (err) {
              setError(messageOf(err));
            }
          }}
        >
          Upload avatar
        </Button>
        {me.avatarUrl && (
          <Button
            variant="secondary"
            onClick={async () => {
              try {
                await api('/api/me/avatar', { method: 'DELETE' });
                await client.invalidateQueries({ queryKey: ['me'] });
                toast.show('Avatar removed');
              } catch (err) {
                setError(messageOf(err));
              }
            }}
          >
            Remove avatar
          </Button>
        )}
      </div>
    </div>
  );
}

function ProfileForm({ me }: { me: Me }) {
  const client = useQueryClient();
  const toast = useToast();
  const [displayName, setDisplayName] = useState(me.displayName);
  const [bio, setBio] = useState(me.bio);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  return (
    <form
      className="flex flex-col gap-4"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaving(true);
        setError(undefined);
        try {
          await api('/api/me', { method: 'PATCH', body: { displayName, bio } });
          await client.invalidateQueries({ queryKey: ['me'] });
          toast.show('Profile saved');
        } catch (err) {
          setError(messageOf(err));
        } finally {
          setSaving(false);
        }
      }}
    >
      <Field label="Display name">
        <Input maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" />
      </Field>
      <Field label="Bio">
        <Textarea rows={4} maxLength={2000} className="font-sans" value={bio} onChange={(e) => setBio(e.target.value)} />
      </Field>
      <FormError message={error} />
      <Button type="submit" className="self-start" disabled={saving}>
        Save profile
      </Button>
    </form>
  );
}

export function ProfileSection() {
  const me = useQuery({ queryKey: ['me'], queryFn: () => api<Me>('/api/me') });
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorState message={messageOf(me.error)} />;
  return (
    <Card className="flex max-w-xl flex-col gap-6">
      <h2 className="text-lg font-semibold">Profile of {me.data.username}</h2>
      <ProfileForm me={me.data} />
      <AvatarForm me={me.data} />
    </Card>
  );
}
