// Webhook subscriptions, their deliveries (one per event and subscription) and each attempt's log.
import { sql, type Migration } from '@docksphere/db';

export const webhooksMigration: Migration = {
  name: '002_webhooks',
  async up(db) {
    await db.schema
      .withSchema('audit')
      .createTable('subscriptions')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('repository', 'namespace', 'site')`))
      .addColumn('target', 'text')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('events', 'jsonb', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('disabled_at', 'timestamptz')
      .addColumn('disabled_reason', 'text')
      .addColumn('last_delivery_at', 'timestamptz')
      .addColumn('last_success_at', 'timestamptz')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await sql`create index subscriptions_scope_target on audit.subscriptions (scope, target)`.execute(db);

    await db.schema
      .withSchema('audit')
      .createTable('deliveries')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
      .addColumn('subscription_id', 'uuid', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      // The exact request body, signed afresh (new timestamp) on each attempt.
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'delivered', 'failed')`))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      // While an attempt runs: no other worker may start one for this delivery until then.
      .addColumn('lease_until', 'timestamptz')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('redelivery_of', 'uuid')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('completed_at', 'timestamptz')
      .execute();
    // Fan-out is idempotent: one original delivery per event and subscription.
    await sql`create unique index deliveries_once on audit.deliveries (subscription_id, event_id) where redelivery_of is null`.execute(db);
    await sql`create index deliveries_subscription_seq on audit.deliveries (subscription_id, seq)`.execute(db);
    await sql`create index deliveries_pending on audit.deliveries (next_attempt_at) where state = 'pending'`.execute(db);

    await db.schema
      .withSchema('audit')
      .createTable('delivery_attempts')
      .addColumn('delivery_id', 'uuid', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('remote_address', 'text')
      .addColumn('request_headers', 'jsonb', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('response_headers', 'jsonb')
      .addColumn('response_body', 'text')
      .addColumn('error', 'text')
      .addPrimaryKeyConstraint('delivery_attempts_pkey', ['delivery_id', 'attempt'])
      .execute();
  },
};
