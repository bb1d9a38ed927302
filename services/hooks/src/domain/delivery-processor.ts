// Runs one attempt of one webhook delivery: lease it, check the target (SSRF guard), sign, send, log
// the attempt, then settle: delivered, retry later (backoff with jitter), or failed for good, which
// counts against the subscription and disables it (raising an alert) after repeated failures.
import { appendToOutbox, newEvent } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';
import type { HooksConfig, Logger, SecretBox } from '@docksphere/kit';
import type { DeliveryJob, DeliveryOutcome } from '../queue/delivery-queue.ts';
import { insertAttempt, leaseDelivery, settleDelivery } from '../store/deliveries.ts';
import { disableSubscription, findSubscription, recordSubscriptionOutcome, type SubscriptionRow } from '../store/subscriptions.ts';
import { raiseAlert } from './alerts.ts';
import { retryDelayMs } from './backoff.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { signingSecretOf } from './signing-secrets.ts';
import type { SsrfGuard } from './ssrf-guard.ts';
import { sendWebhook, type WebhookRequest, type WebhookResponse } from './webhook-sender.ts';

export const WEBHOOK_USER_AGENT = 'DockSphere-Webhooks/1';

export interface DeliveryProcessorDeps {
  db: Kysely<any>;
  guard: SsrfGuard;
  secrets: SecretBox;
  settings: HooksConfig['delivery'];
  logger: Logger;
  /** Called after a commit that wrote outbox events (wakes the relay). */
  onOutboxWrite?: () => void;
  send?: (request: WebhookRequest) => Promise<WebhookResponse>;
}

export class DeliveryProcessor {
  private readonly send: (request: WebhookRequest) => Promise<WebhookResponse>;

  constructor(private readonly deps: DeliveryProcessorDeps) {
    this.send = deps.send ?? sendWebhook;
  }

  /** The DeliveryWorker: one attempt, and what the queue should do next. */
  readonly run = async (job: DeliveryJob): Promise<DeliveryOutcome> => {
    const { db, settings } = this.deps;
    // The lease outlives the attempt's timeout, so no second worker starts while one still waits.
    const lease = await leaseDelivery(db, job.deliveryId, settings.timeoutMs * 2 + 5_000);
    if (lease.kind === 'busy') return { kind: 'retry', delayMs: lease.retryInMs };
    if (lease.kind !== 'leased') return { kind: 'done' };
    const delivery = lease.delivery;
    const sub = await findSubscription(db, delivery.subscription_id);
    if (!sub) return { kind: 'done' };
    const isPing = delivery.event_type === 'ping';
    if (!sub.active && !isPing) {
      await settleDelivery(db, delivery.id, { state: 'failed', attempts: delivery.attempts, status: null, error: 'subscription is disabled' });
      return { kind: 'done' };
    }

    const attempt = delivery.attempts + 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'x-docksphere-event': delivery.event_type,
      'x-docksphere-delivery': delivery.id,
      'x-docksphere-attempt': String(attempt),
    };
    try {
      headers[SIGNATURE_HEADER] = signatureHeader(signingSecretOf(this.deps.secrets, sub), delivery.body);
    } catch (err) {
      // A secret sealed with a key this server lacks: unsigned, the receiver must refuse it, so do not send.
      await settleDelivery(db, delivery.id, { state: 'failed', attempts: delivery.attempts, status: null, error: `cannot sign: ${(err as Error).message}` });
      return { kind: 'done' };
    }
    const startedAt = new Date();
    const target = await this.deps.guard.check(sub.url);
    let response: WebhookResponse;
    if (target.allowed) {
      response = await this.send({ url: target.url, address: target.address, family: target.family, headers, body: delivery.body, timeoutMs: settings.timeoutMs });
    } else {
      response = { ok: false, status: null, headers: null, body: null, error: target.reason, durationMs: 0, remoteAddress: '' };
    }
    await insertAttempt(db, {
      delivery_id: delivery.id,
      attempt,
      started_at: startedAt,
      duration_ms: response.durationMs,
      url: sub.url,
      remote_address: response.remoteAddress || null,
      request_headers: headers,
      status: response.status,
      response_headers: response.headers,
      response_body: response.body,
      error: response.error,
    });

    if (response.ok) {
      await settleDelivery(db, delivery.id, { state: 'delivered', attempts: attempt, status: response.status, error: null });
      if (!isPing) await recordSubscriptionOutcome(db, sub.id, true);
      return { kind: 'done' };
    }
    // A ping is a one-off test; a target the guard refuses stays refused.
    const final = isPing || (!target.allowed && target.permanent) || attempt >= settings.maxAttempts;
    if (!final) {
      const delayMs = retryDelayMs(attempt, { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs });
      await settleDelivery(db, delivery.id, { state: 'pending', attempts: attempt, status: response.status, error: response.error, nextAttemptAt: new Date(Date.now() + delayMs) });
      return { kind: 'retry', delayMs };
    }
    await settleDelivery(db, delivery.id, { state: 'failed', attempts: attempt, status: response.status, error: response.error });
    if (!isPing) await this.countFailure(sub, response.error ?? 'delivery failed');
    return { kind: 'done' };
  };

  /** A delivery failed for good: after disableAfterFailures in a row the subscription is switched off and an alert raised. */
  private async countFailure(sub: SubscriptionRow, lastError: string): Promise<void> {
    const { db, settings } = this.deps;
    const outcome = await recordSubscriptionOutcome(db, sub.id, false);
    if (!outcome || !outcome.active || outcome.consecutiveFailures < settings.disableAfterFailures) return;
    const disabled = await db.transaction().execute(async (trx) => {
      const reason = `disabled after ${outcome.consecutiveFailures} failed deliveries in a row; last error: ${lastError}`;
      if (!(await disableSubscription(trx, sub.id, reason))) return false;
      await appendToOutbox(trx, 'audit', [
        newEvent('hooks.webhook.disabled', { subject: 'system', name: 'hooks' }, {
          subscriptionId: sub.id,
          scope: sub.scope,
          target: sub.target ?? undefined,
          url: sub.url,
          consecutiveFailures: outcome.consecutiveFailures,
          lastError: lastError.slice(0, 500),
        }),
      ]);
      await raiseAlert(trx, {
        rule: 'webhook-disabled',
        severity: 'warning',
        summary: `webhook ${sub.url} (${sub.scope}${sub.target ? ` ${sub.target}` : ''}) disabled after ${outcome.consecutiveFailures} failed deliveries in a row`,
        subject: `webhook:${sub.id}`,
        eventIds: [],
      });
      return true;
    });
    if (disabled) {
      this.deps.logger.warn({ subscriptionId: sub.id, failures: outcome.consecutiveFailures }, 'webhook subscription disabled after repeated failures');
      this.deps.onOutboxWrite?.();
    }
  }
}
