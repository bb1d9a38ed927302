// The registries an e2e suite runs against: DockSphere all-in-one and distributed (behind NGINX)
// by default; E2E_TARGETS=reference,all-in-one,distributed adds Distribution 2.8 as a baseline.
import { hasCommand, postgresBinDir, requireServer } from '@docksphere/infra';
import { startAllInOne } from './all-in-one.ts';
import { startDistributed } from './distributed.ts';
import { startReferenceRegistry } from './reference-registry.ts';
import type { RegistryUnderTest } from './registry-under-test.ts';

export interface Target {
  name: 'reference' | 'all-in-one' | 'distributed';
  /** Distribution 2.8 predates OCI 1.1: no referrers API. */
  supportsReferrers: boolean;
  start(): Promise<RegistryUnderTest>;
}

interface TargetDefinition extends Target {
  /** The servers this target starts, and whether each is installed. */
  needs: () => [string, boolean][];
}

const all: TargetDefinition[] = [
  { name: 'reference', supportsReferrers: false, start: startReferenceRegistry, needs: () => [['docker-registry', hasCommand('docker-registry')]] },
  { name: 'all-in-one', supportsReferrers: true, start: () => startAllInOne(), needs: () => [] },
  {
    name: 'distributed',
    supportsReferrers: true,
    // Two replicas behind NGINX's round robin: consecutive requests of one push land on different processes.
    start: () => startDistributed({ registryReplicas: 2 }),
    needs: () => [
      ['PostgreSQL', postgresBinDir() !== undefined],
      ['nats-server', hasCommand('nats-server')],
      ['nginx', hasCommand('nginx')],
    ],
  },
];

/** The wanted targets whose servers are installed (a missing one fails under CI=true, see requireServer). */
export function targets(): Target[] {
  const wanted = (process.env.E2E_TARGETS ?? 'all-in-one,distributed').split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !all.some((t) => t.name === w));
  if (unknown.length > 0) throw new Error(`E2E_TARGETS: unknown target ${unknown.join(', ')}`);
  return all
    .filter((t) => wanted.includes(t.name))
    .filter((t) => t.needs().every(([server, available]) => requireServer(`${server} (for the ${t.name} target)`, available)))
    .map(({ needs: _needs, ...target }) => target);
}
