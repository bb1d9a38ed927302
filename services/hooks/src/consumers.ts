// The hooks service's background work: the durable event consumer "hooks" on every event (audit
// entry + alert rules + webhook fan-out, exactly once per event id), the delivery worker, the audit
// outbox relay, a sweep that re-queues deliveries whose job was lost, and retention.
import type { Kysely } from '@docksphere/db';
import { handleOnce, OutboxRelay, pruneProcessedEvents, yieldToEventLoop, type DomainEvent, type EventBus, type Subscription } from '@docksphere/events';
import { createLogger, type HooksConfig, type Logger, type SecretBox } from '@docksphere/kit';
import { evaluateAlertRules } from './domain/alerts.ts';
import { auditEntryOf } from './domain/audit-entry.ts';
import { DeliveryProcessor } from './domain/delivery-processor.ts';
import { fanOut } from './domain/fan-out.ts';
import { sealStoredSigningSecrets } from './domain/signing-secrets.ts';
import { SsrfGuard, type HostResolver, type InterfaceAddresses } from './domain/ssrf-guard.ts';
import type { WebhookRequest, WebhookResponse } from './domain/webhook-sender.ts';
import type { DeliveryJob, DeliveryQueue } from './queue/delivery-queue.ts';
import { appendAuditEntry, pruneAuditEntries } from './store/audit-entries.ts';
import { overdueDeliveries, pruneDeliveries } from './store/deliveries.ts';
import { HOOKS_SCHEMA } from './store/migrations/index.ts';

/** The durable consumer name on the event stream. */
export const HOOKS_CONSUMER = 'hooks';

export interface HooksConsumerDeps {
  db: Kysely<any>;
  bus: EventBus;
  queue: DeliveryQueue;
  config: HooksConfig;
  logger?: Logger;
  /** DNS for the SSRF guard (tests); the system resolver otherwise. */
  resolver?: HostResolver;
  /** This server's own addresses for the SSRF guard (tests); os.networkInterfaces() otherwise. */
  interfaceAddresses?: InterfaceAddresses;
  /** Opens the stored signing secrets (the keys of config.secrets, shared with hooksPlugin). */
  secrets: SecretBox;
  /** Replaces the HTTP sender (tests of the processor); the real one otherwise. */
  send?: (request: WebhookRequest) => Promise<WebhookResponse>;
  /** How often pending deliveries whose job was lost are re-queued (default 15 s). */
  sweepIntervalMs?: number;
  /** How overdue a pending delivery must be before the sweep re-queues it (default 30 s). */
  sweepGraceMs?: number;
  /** How often retention runs (default hourly; the first run a minute after start). */
  maintenanceIntervalMs?: number;
  /** Poll interval of the hooks outbox relay when idle (see OutboxRelayOptions.intervalMs). */
  relayIntervalMs?: number;
}

export interface HooksConsumers {
  /** Publishes the hooks service's own events (hooks.webhook.*, hooks.alert.raised) from audit.outbox. */
  relay: OutboxRelay;
  /** Handles one event as the consumer does (exactly once per event id); resolves false for a duplicate. */
  handle(event: DomainEvent): Promise<boolean>;
  /** Runs retention now; resolves with how many rows each part removed. */
  runMaintenance(): Promise<{ auditEntries: number; deliveries: number; processedEvents: number; outbox: number }>;
  /** Re-queues overdue pending deliveries now; resolves with how many. */
  sweep(): Promise<number>;
  /** Stops consuming, closes the delivery queue (its worker runs here) and stops the relay. */
  stop(): Promise<void>;
}

/** processed_events rows must outlive the stream's redelivery horizon (7 days by default). */
const PROCESSED_EVENTS_TTL_MS = 14 * 24 * 3600_000;
const PUBLISHED_OUTBOX_TTL_MS = 7 * 24 * 3600_000;

export async function startHooksConsumers(deps: HooksConsumerDeps): Promise<HooksConsumers> {
  const { db, bus, queue, config } = deps;
  const logger = deps.logger ?? createLogger({ name: 'hooks' });
  // Secrets stored in plain text (before 004_sealed_secrets) or under a retired key are sealed anew.
  await sealStoredSigningSecrets(db, deps.secrets, logger);
  const relay = new OutboxRelay({ db, schema: HOOKS_SCHEMA, bus, intervalMs: deps.relayIntervalMs, onError: (err) => logger.error({ err: { message: (err as Error).message } }, 'hooks outbox relay failed') });
  const processor = new DeliveryProcessor({
    db,
    guard: new SsrfGuard(config.webhookAllowlist, deps.resolver, deps.interfaceAddresses),
    secrets: deps.secrets,
    settings: config.delivery,
    logger,
    onOutboxWrite: () => relay.nudge(),
    ...(deps.send ? { send: deps.send } : {}),
  });

  const enqueue = async (jobs: readonly DeliveryJob[]) => {
    for (const job of jobs) {
      // Losing this call is harmless: the delivery row is committed and the sweep queues it.
      await queue.enqueue(job).catch((err: Error) => logger.warn({ deliveryId: job.deliveryId, err: { message: err.message } }, 'could not queue a webhook delivery now; the sweep will'));
    }
  };

  const handle = async (event: DomainEvent): Promise<boolean> => {
    // One transaction per event; on embedded PGlite a backlog of them would otherwise starve HTTP requests.
    await yieldToEventLoop();
    let jobs: DeliveryJob[] = [];
    let alerts = 0;
    const ran = await handleOnce(db, HOOKS_SCHEMA, HOOKS_CONSUMER, event, async (trx) => {
      await appendAuditEntry(trx, auditEntryOf(event, new Date()));
      alerts = (await evaluateAlertRules(trx, event, config.alerts)).length;
      jobs = await fanOut(trx, event);
    });
    if (!ran) return false;
    if (alerts > 0) relay.nudge();
    await enqueue(jobs);
    return true;
  };

  const sweep = async (): Promise<number> => {
    const overdue = await overdueDeliveries(db, deps.sweepGraceMs ?? 30_000, 500);
    await enqueue(overdue.map((d) => ({ deliveryId: d.id, subscriptionId: d.subscription_id })));
    return overdue.length;
  };

  const runMaintenance = async () => {
    const now = Date.now();
    const auditEntries = config.auditRetentionDays > 0 ? await pruneAuditEntries(db, new Date(now - config.auditRetentionDays * 86400_000)) : 0;
    const deliveries = await pruneDeliveries(db, new Date(now - config.deliveryRetentionDays * 86400_000));
    const processedEvents = await pruneProcessedEvents(db, HOOKS_SCHEMA, PROCESSED_EVENTS_TTL_MS);
    const outbox = Number(
      (await db.withSchema(HOOKS_SCHEMA).deleteFrom('outbox').where('published_at', '<', new Date(now - PUBLISHED_OUTBOX_TTL_MS)).executeTakeFirst()).numDeletedRows,
    );
    return { auditEntries, deliveries, processedEvents, outbox };
  };

  queue.process(processor.run);
  const subscription: Subscription = await bus.subscribe('>', HOOKS_CONSUMER, async (event) => {
    await handle(event);
  });
  relay.start();

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, what: string, fn: () => Promise<unknown>, firstAfterMs = ms) => {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      fn()
        .catch((err: Error) => logger.error({ err: { message: err.message } }, `${what} failed`))
        .finally(() => (running = false));
    };
    const first = setTimeout(() => {
      tick();
      const t = setInterval(tick, ms);
      t.unref();
      timers.push(t);
    }, firstAfterMs);
    first.unref();
    timers.push(first);
  };
  every(deps.sweepIntervalMs ?? 15_000, 'webhook delivery sweep', sweep, 0);
  every(deps.maintenanceIntervalMs ?? 3600_000, 'hooks retention', async () => {
    const removed = await runMaintenance();
    if (Object.values(removed).some((n) => n > 0)) logger.info(removed, 'hooks retention removed old rows');
  }, Math.min(60_000, deps.maintenanceIntervalMs ?? 60_000));

  let stopped = false;
  return {
    relay,
    handle,
    runMaintenance,
    sweep,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await subscription.close();
      await queue.close();
      await relay.stop();
    },
  };
}
