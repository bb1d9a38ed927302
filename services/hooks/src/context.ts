// Everything a hooks route needs, built once per plugin instance from the deps the caller passes in.
import type { Kysely } from '@docksphere/db';
import type { HooksConfig, Logger, SecretBox } from '@docksphere/kit';
import type { ConsoleTokenVerifier } from './domain/console-auth.ts';
import type { AdminPolicy } from './domain/permissions.ts';
import type { SsrfGuard } from './domain/ssrf-guard.ts';
import type { DeliveryQueue } from './queue/delivery-queue.ts';

export interface HooksContext {
  db: Kysely<any>;
  settings: HooksConfig;
  verifyConsoleToken: ConsoleTokenVerifier;
  policy: AdminPolicy;
  guard: SsrfGuard;
  /** Seals webhook signing secrets at rest. */
  secrets: SecretBox;
  queue: DeliveryQueue;
  logger: Logger;
  /** Called after a commit that wrote outbox events (wakes the audit outbox relay). */
  outboxWritten(): void;
}
