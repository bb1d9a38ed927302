// Every service's migrations in one call: the all-in-one runs them at start, `docksphere migrate`
// runs them once before the distributed services roll (each schema under its own advisory lock).
import type { Kysely } from '@docksphere/db';
import { migrateRegistry } from '@docksphere/registry';
import { migrateAuth } from '@docksphere/auth';
import { migrateMetadata } from '@docksphere/metadata';
import { migrateHooks } from '@docksphere/hooks';

/** Applies what is missing in each service's schema; answers the migrations applied now, by service. */
export async function migrateAll(db: Kysely<any>): Promise<Record<'registry' | 'auth' | 'metadata' | 'hooks', string[]>> {
  return {
    registry: await migrateRegistry(db),
    auth: await migrateAuth(db),
    metadata: await migrateMetadata(db),
    hooks: await migrateHooks(db),
  };
}
