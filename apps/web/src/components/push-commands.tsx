// The docker commands to log in and push to this registry, with copy buttons.
'use client';
import { useEffect, useState } from 'react';
import { CopyField } from './ui/copy-button';

/** The registry host as docker names it: this page's host (and port). */
export function useRegistryHost(): string {
  const [host, setHost] = useState('registry.example');
  useEffect(() => setHost(window.location.host), []);
  return host;
}

export function PushCommands({ namespace, repository = 'my-image' }: { namespace: string; repository?: string }) {
  const host = useRegistryHost();
  const target = `${host}/${namespace}/${repository}:latest`;
  return (
    <div className="flex flex-col gap-2">
      <CopyField label="login command" value={`docker login ${host}`} />
      <CopyField label="tag command" value={`docker tag my-image:latest ${target}`} />
      <CopyField label="push command" value={`docker push ${target}`} />
    </div>
  );
}
