// The identity schema: users and every credential they hold (sessions, access tokens, robots,
// Docker refresh tokens, 2FA backup codes, password-reset links, invites).
import { sql, type Migration } from '@docksphere/db';

export const identitySchema: Migration = {
  name: '001_identity',
  async up(db) {
    const s = db.schema.withSchema('identity');
    await s
      .createTable('users')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('password_hash', 'text')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
      .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('totp_secret', 'text')
      .addColumn('totp_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('totp_last_step', 'bigint')
      .addColumn('ldap_groups', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await sql`create unique index users_email_lower on identity.users (lower(email))`.execute(db);

    await s
      .createTable('backup_codes')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('identity.users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .execute();
    await sql`create index backup_codes_user on identity.backup_codes (user_id)`.execute(db);

    await s
      .createTable('sessions')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('identity.users.id').onDelete('cascade'))
      .addColumn('refresh_hash', 'text', (c) => c.notNull())
      .addColumn('previous_refresh_hash', 'text')
      .addColumn('csrf_hash', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute();
    await sql`create index sessions_user on identity.sessions (user_id) where revoked_at is null`.execute(db);

    await s
      .createTable('access_tokens')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('identity.users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('token_hint', 'text', (c) => c.notNull())
      .addColumn('scopes', 'jsonb', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('last_used_ip', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('revoked_at', 'timestamptz')
      .execute();
    await sql`create index access_tokens_user on identity.access_tokens (user_id)`.execute(db);

    await s
      .createTable('robots')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('token_hint', 'text', (c) => c.notNull())
      .addColumn('repository_patterns', 'jsonb', (c) => c.notNull())
      .addColumn('actions', 'jsonb', (c) => c.notNull())
      .addColumn('created_by', 'uuid', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('last_used_ip', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('revoked_at', 'timestamptz')
      .execute();
    await sql`create unique index robots_live_name on identity.robots (namespace, name) where revoked_at is null`.execute(db);

    await s
      .createTable('docker_refresh_tokens')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'uuid', (c) => c.references('identity.users.id').onDelete('cascade'))
      .addColumn('robot_id', 'uuid', (c) => c.references('identity.robots.id').onDelete('cascade'))
      .addColumn('access_token_id', 'uuid', (c) => c.references('identity.access_tokens.id').onDelete('cascade'))
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .execute();

    await s
      .createTable('password_resets')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('identity.users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .execute();

    await s
      .createTable('invites')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('created_by', 'uuid', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .addColumn('used_by', 'uuid')
      .execute();
  },
};
