// First start: create the site admin, from ADMIN_PASSWORD or with a generated password that is
// returned exactly once (the launcher prints it). Never a fixed default.
import type { Kysely } from '@docksphere/db';
import { sql } from '@docksphere/db';
import { createLocalAccount } from './accounts.ts';
import { randomBase62 } from './secrets.ts';

export interface BootstrapOptions {
  username: string;
  email: string;
  /** ADMIN_PASSWORD; when unset a password is generated. */
  password: string | undefined;
}

export type BootstrapResult =
  | { created: false }
  | { created: true; username: string; /** Present only when generated: show it once, store it nowhere. */ generatedPassword: string | undefined };

/** Creates the site admin if there is no admin yet; idempotent and safe with several processes starting. */
export async function bootstrapAdmin(db: Kysely<any>, options: BootstrapOptions): Promise<BootstrapResult> {
  return db.transaction().execute(async (trx) => {
    // Serialises concurrent first starts (several replicas) on one lock.
    await sql`select pg_advisory_xact_lock(${0x64736164})`.execute(trx);
    const existing = await trx.withSchema('identity').selectFrom('users').select('id').where('is_admin', '=', true).limit(1).executeTakeFirst();
    if (existing) return { created: false } as const;
    const generated = options.password === undefined ? randomBase62(24) : undefined;
    const user = await createLocalAccount(
      trx,
      { username: options.username, email: options.email, displayName: 'Site admin', password: options.password ?? (generated as string), admin: true },
      'bootstrap',
      { subject: 'system', origin: { ip: undefined, userAgent: undefined } },
    );
    return { created: true, username: user.username, generatedPassword: generated } as const;
  });
}
