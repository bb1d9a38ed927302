// Everything a route needs, built once per plugin instance from the deps the caller passes in.
import type { Kysely } from '@docksphere/db';
import type { Logger, MetadataConfig } from '@docksphere/kit';

export interface MetadataContext {
  db: Kysely<any>;
  settings: MetadataConfig;
  logger: Logger;
  /** Shared secret of /internal/* routes; undefined refuses every internal call. */
  internalSecret: string | undefined;
  /** Called after a commit that wrote outbox events (all-in-one: wakes the relay). */
  outboxWritten(): void;
}
