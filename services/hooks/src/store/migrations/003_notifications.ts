// The admin notification list: alerts raised by the security rules and by disabled webhooks.
import { sql, type Migration } from '@docksphere/db';

export const notificationsMigration: Migration = {
  name: '003_notifications',
  async up(db) {
    await db.schema
      .withSchema('audit')
      .createTable('notifications')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      // What the alert is about (an account, a webhook): repeated alerts are suppressed per subject.
      .addColumn('subject', 'text')
      .addColumn('event_ids', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('acknowledged_at', 'timestamptz')
      .addColumn('acknowledged_by', 'text')
      .execute();
    await sql`create index notifications_rule_subject on audit.notifications (rule, subject, created_at)`.execute(db);
  },
};
