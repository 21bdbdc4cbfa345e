/**
 * The catalog's migrations, one list for PGlite and PostgreSQL (SQL within PostgreSQL 15). Append
 * only: a migration that has run anywhere is never edited. Kysely's migrator takes a lock, so nodes
 * that start at once migrate once.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

const migrations: Record<string, Migration> = {
  '0001-access': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('operator', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('disabled_at', 'timestamptz')
        .execute();
      await db.schema.createTable('memberships')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'member', 'viewer')`))
        .addPrimaryKeyConstraint('memberships_pk', ['user_id', 'tenant_id'])
        .execute();
      await db.schema.createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('last_used_at', 'timestamptz')
        .execute();
    },
  },
};

migrations['0002-sites-banks'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('sites')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createTable('banks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('bank_uuid', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};

migrations['0003-hosts-resources'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('hosts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('libvirt', 'volumes', 'qsd')`))
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('set null'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('discovered_at', 'timestamptz')
      .addColumn('discovery_error', 'text')
      .execute();
    await db.schema.createTable('resources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('set null'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text', (c) => c.references('resources.id').onDelete('cascade'))
      .addColumn('size_bytes', 'bigint')
      .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('discovered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('missing_since', 'timestamptz')
      .addUniqueConstraint('resources_host_external', ['host_id', 'external_id'])
      .execute();
    await db.schema.createIndex('resources_tenant').on('resources').column('tenant_id').execute();
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
