// Alert rules over security events, and raising an alert: a row in the admin notification list plus
// a hooks.alert.raised event (audited, and delivered to webhook subscriptions with the "alert" filter).
import { appendToOutbox, newEvent, type DomainEvent, type EventPayloads } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';
import type { HooksConfig } from '@docksphere/kit';
import { countRecentEntries } from '../store/audit-entries.ts';
import { insertNotification, recentlyNotified } from '../store/notifications.ts';

export interface RaisedAlert {
  rule: string;
  severity: 'warning' | 'critical';
  summary: string;
  /** What the alert is about ("user:alice", "webhook:<id>"): one alert per rule and subject per window. */
  subject: string | null;
  eventIds: string[];
}

export const ALERT_RULES = ['failed-logins', 'site-admin-granted', 'delete-scope-token', 'webhook-disabled'] as const;

const HOOKS_ACTOR = { subject: 'system', name: 'hooks' };

/** Writes the alert to the notification list and the outbox, inside the caller's transaction. */
export async function raiseAlert(trx: Kysely<any>, alert: RaisedAlert, at: Date = new Date()): Promise<string> {
  const alertId = crypto.randomUUID();
  await insertNotification(trx, { id: alertId, ...alert, createdAt: at });
  const payload: EventPayloads['hooks.alert.raised'] = { alertId, rule: alert.rule, severity: alert.severity, summary: alert.summary, subject: alert.subject ?? undefined, eventIds: alert.eventIds };
  await appendToOutbox(trx, 'audit', [newEvent('hooks.alert.raised', HOOKS_ACTOR, payload)]);
  return alertId;
}

function field(event: DomainEvent, key: string): unknown {
  const payload = event.payload as unknown as Record<string, unknown> | null;
  return payload && typeof payload === 'object' ? payload[key] : undefined;
}

/**
 * Evaluates every rule against an event that was just recorded in the audit trail (so counting rules
 * see it) and raises what fires. Runs inside the consumer's transaction: the alert exists if and
 * only if the event was recorded.
 */
export async function evaluateAlertRules(trx: Kysely<any>, event: DomainEvent, settings: HooksConfig['alerts']): Promise<RaisedAlert[]> {
  const raised: RaisedAlert[] = [];
  const at = new Date(event.occurredAt);
  const when = Number.isNaN(at.getTime()) ? new Date() : at;
  const actorName = event.actor?.name ?? event.actor?.subject ?? 'someone';

  if (event.type === 'auth.login.failed') {
    const username = field(event, 'username');
    if (typeof username === 'string' && username.length > 0) {
      const subject = `user:${username}`;
      const since = new Date(when.getTime() - settings.failedLoginWindowMinutes * 60_000);
      const recent = await countRecentEntries(trx, { action: 'auth.login.failed', target: subject.slice(0, 512), since, until: when });
      if (recent.count >= settings.failedLoginThreshold && !(await recentlyNotified(trx, 'failed-logins', subject, since))) {
        raised.push({
          rule: 'failed-logins',
          severity: 'warning',
          summary: `${recent.count} failed logins for account "${username}" within ${settings.failedLoginWindowMinutes} minutes`,
          subject,
          eventIds: recent.ids,
        });
      }
    }
  } else if (event.type === 'auth.admin.changed' && field(event, 'admin') === true) {
    const username = String(field(event, 'username') ?? field(event, 'userId') ?? 'unknown');
    raised.push({ rule: 'site-admin-granted', severity: 'critical', summary: `site admin granted to "${username}" by ${actorName}`, subject: `user:${username}`, eventIds: [event.id] });
  } else if (event.type === 'auth.token.created') {
    const scopes = field(event, 'scopes');
    if (Array.isArray(scopes) && scopes.some((s) => s === 'delete' || s === '*')) {
      const name = String(field(event, 'name') ?? 'unnamed');
      const kind = String(field(event, 'kind') ?? 'token');
      raised.push({ rule: 'delete-scope-token', severity: 'warning', summary: `${kind} "${name}" created with delete scope by ${actorName}`, subject: `${kind}:${name}`, eventIds: [event.id] });
    }
  }
  for (const alert of raised) await raiseAlert(trx, alert, new Date());
  return raised;
}
