// Repository settings for its admins: description, visibility (confirmed), transfer to another
// namespace and delete, both confirmed by typing the repository's name.
'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Field, FormError } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, messageOf, repoPath } from '@/lib/api';
import { routes } from '@/lib/params';
import type { Repository } from '@/lib/types';

export function SettingsTab({ repository }: { repository: Repository }) {
  const router = useRouter();
  const client = useQueryClient();
  const toast = useToast();
  const path = `/api/repositories/${repoPath(repository.name)}`;
  const [description, setDescription] = useState(repository.description);
  const [descriptionError, setDescriptionError] = useState<string>();
  const [savingDescription, setSavingDescription] = useState(false);
  const [visibilityOpen, setVisibilityOpen] = useState(false);
  const [transferOpen, setTransferOpen] = useState(false);
  const [target, setTarget] = useState('');
  const [deleteOpen, setDeleteOpen] = useState(false);
  const nextVisibility = repository.visibility === 'public' ? 'private' : 'public';

  async function changed(updated?: Repository) {
    if (updated) client.setQueryData(['repository', repository.name], { ...repository, ...updated });
    await client.invalidateQueries({ queryKey: ['repository', repository.name] });
  }

  return (
    <div className="flex max-w-2xl flex-col gap-6">
      <Card>
        <h2 className="mb-3 text-lg font-semibold">Description</h2>
        <form
          className="flex flex-col gap-3"
          onSubmit={async (e) => {
            e.preventDefault();
            setSavingDescription(true);
            setDescriptionError(undefined);
            try {
              await changed(await api<Repository>(path, { method: 'PATCH', body: { description } }));
              toast.show('Description saved');
            } catch (err) {
              setDescriptionError(messageOf(err));
            } finally {
              setSavingDescription(false);
            }
          }}
        >
          <Field label="Short description" hint="At most 1000 characters; shown in lists and search.">
            <Textarea rows={3} maxLength={1000} className="font-sans" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <FormError message={descriptionError} />
          <Button type="submit" className="self-start" disabled={savingDescription}>
            Save description
          </Button>
        </form>
      </Card>

      <Card>
        <h2 className="text-lg font-semibold">Visibility</h2>
        <p className="mt-1 text-sm text-muted-fg">
          This repository is <strong>{repository.visibility}</strong>.{' '}
          {repository.visibility === 'public' ? 'Anyone can pull it.' : 'Only people with access can see or pull it.'}
        </p>
        <Button variant="secondary" className="mt-3" onClick={() => setVisibilityOpen(true)}>
          Make {nextVisibility}
        </Button>
      </Card>

      <Card className="border-danger/60">
        <h2 className="text-lg font-semibold">Danger zone</h2>
        <div className="mt-3 flex flex-col gap-3">
          <Field label="Transfer to namespace" hint="A user or organization where you may create repositories.">
            <Input value={target} onChange={(e) => setTarget(e.target.value.trim())} autoComplete="off" />
          </Field>
          <Button variant="danger" className="self-start" disabled={!target} onClick={() => setTransferOpen(true)}>
            Transfer…
          </Button>
          <hr className="border-border" />
          <Button variant="danger" className="self-start" onClick={() => setDeleteOpen(true)}>
            Delete repository…
          </Button>
        </div>
      </Card>

      <ConfirmDialog
        open={visibilityOpen}
        onOpenChange={setVisibilityOpen}
        title={`Make ${repository.name} ${nextVisibility}?`}
        description={nextVisibility === 'public' ? 'Anyone, signed in or not, will be able to see and pull it.' : 'Only people with access will see it; others will find nothing here.'}
        confirmLabel={`Make ${nextVisibility}`}
        onConfirm={async () => {
          await changed(await api<Repository>(path, { method: 'PATCH', body: { visibility: nextVisibility } }));
          toast.show(`${repository.name} is now ${nextVisibility}`);
        }}
      />
      <ConfirmDialog
        open={transferOpen}
        onOpenChange={setTransferOpen}
        title={`Transfer ${repository.name} to ${target}?`}
        description="Its images, tags and docs move; pulls by the old name stop working."
        confirmLabel="Transfer"
        typeToConfirm={repository.name}
        onConfirm={async () => {
          const moved = await api<Repository>(`${path}/transfer`, { method: 'POST', body: { namespace: target, confirm: repository.name } });
          client.removeQueries({ queryKey: ['repository', repository.name] });
          toast.show(`Transferred to ${moved.name}`);
          router.replace(routes.repository(moved.name));
        }}
      />
      <ConfirmDialog
        open={deleteOpen}
        onOpenChange={setDeleteOpen}
        title={`Delete ${repository.name}?`}
        description="Every tag, image and doc of this repository is deleted. This cannot be undone."
        confirmLabel="Delete repository"
        typeToConfirm={repository.name}
        onConfirm={async () => {
          await api(path, { method: 'DELETE', query: { confirm: repository.name } });
          client.removeQueries({ queryKey: ['repository', repository.name] });
          await client.invalidateQueries({ queryKey: ['dashboard'] });
          toast.show(`Deleted ${repository.name}`);
          router.replace('/');
        }}
      />
    </div>
  );
}
