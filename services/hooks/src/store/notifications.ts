// SQL for audit.notifications: the admin notification list of raised alerts.
import { sql, type Kysely } from '@docksphere/db';

export interface NotificationRow {
  id: string;
  seq: number;
  rule: string;
  severity: 'warning' | 'critical';
  summary: string;
  subject: string | null;
  event_ids: string[] | string;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

export function notificationView(row: NotificationRow) {
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity,
    summary: row.summary,
    subject: row.subject,
    eventIds: typeof row.event_ids === 'string' ? (JSON.parse(row.event_ids) as string[]) : row.event_ids,
    createdAt: new Date(row.created_at).toISOString(),
    acknowledgedAt: row.acknowledged_at ? new Date(row.acknowledged_at).toISOString() : null,
    acknowledgedBy: row.acknowledged_by,
  };
}

export async function insertNotification(
  db: Kysely<any>,
  n: { id: string; rule: string; severity: 'warning' | 'critical'; summary: string; subject: string | null; eventIds: string[]; createdAt?: Date },
): Promise<void> {
  await db
    .withSchema('audit')
    .insertInto('notifications')
    .values({ id: n.id, rule: n.rule, severity: n.severity, summary: n.summary.slice(0, 1000), subject: n.subject, event_ids: JSON.stringify(n.eventIds), created_at: n.createdAt ?? new Date() })
    .execute();
}

/** Whether the rule already fired for this subject since `since` (alerts are not repeated within a window). */
export async function recentlyNotified(db: Kysely<any>, rule: string, subject: string, since: Date): Promise<boolean> {
  const row = await db.withSchema('audit').selectFrom('notifications').select('id').where('rule', '=', rule).where('subject', '=', subject).where('created_at', '>=', since).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listNotifications(db: Kysely<any>, page: { limit: number; before?: number | undefined; unacknowledged?: boolean | undefined }): Promise<NotificationRow[]> {
  let q = db.withSchema('audit').selectFrom('notifications').selectAll();
  if (page.before !== undefined) q = q.where('seq', '<', page.before);
  if (page.unacknowledged) q = q.where('acknowledged_at', 'is', null);
  return (await q.orderBy('seq', 'desc').limit(page.limit).execute()) as NotificationRow[];
}

export async function acknowledgeNotification(db: Kysely<any>, id: string, by: string): Promise<NotificationRow | undefined> {
  return (await db
    .withSchema('audit')
    .updateTable('notifications')
    .set({ acknowledged_at: sql`coalesce(acknowledged_at, now())`, acknowledged_by: sql`coalesce(acknowledged_by, ${by})` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as NotificationRow | undefined;
}
