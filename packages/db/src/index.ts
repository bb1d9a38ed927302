// SQL access: Kysely on Postgres or embedded PGlite, and the migration runner.
export * from './database.ts';
export * from './migrate.ts';
export { sql, type Kysely, type Transaction } from 'kysely';
