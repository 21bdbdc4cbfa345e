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

migrations['0004-plans-operations'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('schedule', 'text')
      .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
      .addColumn('retention', 'jsonb', (c) => c.notNull())
      .addColumn('options', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // One name per tenant, and one per offering (tenant_id null compares unequal in a plain unique constraint).
    await sql`create unique index policies_name on policies (coalesce(tenant_id, ''), name)`.execute(db);
    await db.schema.createTable('plans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('policy_id', 'text', (c) => c.notNull().references('policies.id'))
      .addColumn('bank_id', 'text', (c) => c.notNull().references('banks.id'))
      .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('plans_tenant_name', ['tenant_id', 'name'])
      .execute();
    await db.schema.createTable('plan_resources')
      .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
      .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('plan_resources_pk', ['plan_id', 'resource_id'])
      .execute();
    await db.schema.createTable('operations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('backup', 'restore', 'delete', 'verify')`))
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`))
      .addColumn('request', 'jsonb', (c) => c.notNull())
      .addColumn('progress', 'jsonb')
      .addColumn('result', 'jsonb')
      .addColumn('error', 'text')
      .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('job_id', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('operations_tenant').on('operations').columns(['tenant_id', 'created_at']).execute();
    await db.schema.createTable('operation_log')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('operation_id', 'text', (c) => c.notNull().references('operations.id').onDelete('cascade'))
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operation_log_operation').on('operation_log').columns(['operation_id', 'id']).execute();
    await db.schema.createTable('checkpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('set null'))
      .addColumn('bank_id', 'text', (c) => c.notNull().references('banks.id').onDelete('cascade'))
      .addColumn('bank_ref', 'text')
      .addColumn('resource_id', 'text', (c) => c.references('resources.id').onDelete('set null'))
      .addColumn('plan_id', 'text', (c) => c.references('plans.id').onDelete('set null'))
      .addColumn('operation_id', 'text', (c) => c.references('operations.id').onDelete('set null'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('parent_ref', 'text')
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('protecting', 'available', 'error', 'deleting', 'missing')`))
      .addColumn('source_bytes', 'bigint')
      .addColumn('written_bytes', 'bigint')
      .addColumn('stored_bytes', 'bigint')
      .addColumn('error', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('completed_at', 'timestamptz')
      .addColumn('verified_at', 'timestamptz')
      .addColumn('damaged', 'boolean', (c) => c.notNull().defaultTo(false))
      .addUniqueConstraint('checkpoints_bank_ref', ['bank_id', 'bank_ref'])
      .execute();
    await db.schema.createIndex('checkpoints_tenant').on('checkpoints').columns(['tenant_id', 'created_at']).execute();
    await db.schema.createIndex('checkpoints_resource').on('checkpoints').columns(['resource_id', 'created_at']).execute();
  },
};

migrations['0005-quotas-usage'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('quotas')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
      .addColumn('max_resources', 'integer')
      .addColumn('max_checkpoints', 'integer')
      .addColumn('max_stored_bytes', 'bigint')
      .execute();
    // Resources are not referenced: the usage of a resource since removed is still billed.
    await db.schema.createTable('usage_records')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('resource_id', 'text', (c) => c.notNull())
      .addColumn('hour', 'timestamptz', (c) => c.notNull())
      .addColumn('checkpoints', 'integer', (c) => c.notNull())
      .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_records_pk', ['tenant_id', 'hour', 'resource_id'])
      .execute();
  },
};

migrations['0006-file-roots'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // Hosts may be directories of file roots, each subdirectory a file set.
    await sql`alter table hosts drop constraint hosts_kind_check`.execute(db);
    await sql`alter table hosts add constraint hosts_kind_check check (kind in ('libvirt', 'volumes', 'qsd', 'files'))`.execute(db);
  },
};

migrations['0007-schedules-retention'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // A policy's backup window, jitter, and when a backup is full (core/schedule.ts Timing).
    await db.schema.alterTable('policies').addColumn('timing', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`)).execute();
    await db.schema.alterTable('checkpoints').addColumn('pinned', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
    // What made an operation, when something must make it once (a schedule's tick): a retried tick finds it.
    await db.schema.alterTable('operations').addColumn('dedupe_key', 'text', (c) => c.unique()).execute();
    await db.schema.alterTable('operations').addColumn('scheduled', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  },
};

migrations['0008-bank-maintenance'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // When a bank's garbage is collected and its checkpoints verified (catalog/banks.ts Maintenance).
    await db.schema.alterTable('banks').addColumn('maintenance', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`)).execute();
    await sql`alter table operations drop constraint operations_type_check`.execute(db);
    await sql`alter table operations add constraint operations_type_check check (type in ('backup', 'restore', 'delete', 'verify', 'gc'))`.execute(db);
  },
};

migrations['0009-plan-rpo'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // The most time a plan's resources may go without a good checkpoint; null: from the schedule.
    await db.schema.alterTable('plans').addColumn('rpo_seconds', 'integer').execute();
  },
};

migrations['0010-webhooks'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'jsonb', (c) => c.notNull())
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // When a plan's falling out of its RPO was last told, so that it is told once per lapse.
    await db.schema.alterTable('plans').addColumn('rpo_alerted_at', 'timestamptz').execute();
  },
};

migrations['0011-scheduler-clock'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // How far the schedules have been turned into operations: one row, claimed by one node at a time.
    await db.schema.createTable('scheduler_clock')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('through', 'timestamptz', (c) => c.notNull())
      .execute();
    await sql`insert into scheduler_clock (name, through) values ('ticks', now())`.execute(db);
  },
};

migrations['0012-limits-and-agents'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // Operations running at once on a host and on a bank; null: no limit.
    await db.schema.alterTable('hosts').addColumn('max_operations', 'integer', (c) => c.check(sql`max_operations >= 1`)).execute();
    await db.schema.alterTable('banks').addColumn('max_operations', 'integer', (c) => c.check(sql`max_operations >= 1`)).execute();
    // Where an operation's work is, for those limits: the host of its resources (when one), its bank.
    await db.schema.alterTable('operations').addColumn('host_id', 'text').execute();
    await db.schema.alterTable('operations').addColumn('bank_id', 'text').execute();
    // Every operation now has its job's id from the start; the sweep sends it again by that id.
    await sql`update operations set job_id = gen_random_uuid()::text where job_id is null`.execute(db);
    await db.schema.createIndex('operations_running_bank').on('operations').column('bank_id').where(sql.ref('state'), '=', 'running').execute();
    // When an agent (`cairn worker --host`) last said it serves the host; set: only its agents run its operations.
    await db.schema.alterTable('hosts').addColumn('agent_seen_at', 'timestamptz').execute();
  },
};

migrations['0013-waits'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    // When a queued operation's job may start (a schedule's jitter, a wait for a slot): the sweep looks
    // only at those overdue, so operations waiting on purpose do not crowd out a lost one.
    await db.schema.alterTable('operations').addColumn('due_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`)).execute();
    await sql`update operations set due_at = created_at`.execute(db);
    // Times it found its host or bank full: each wait is longer, and a slot freed wakes the first waiter.
    await db.schema.alterTable('operations').addColumn('waits', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.createIndex('operations_queued_due').on('operations').column('due_at').where(sql.ref('state'), '=', 'queued').execute();
    await db.schema.createIndex('operations_running_host').on('operations').column('host_id').where(sql.ref('state'), '=', 'running').execute();
    await db.schema.createIndex('operations_waiting').on('operations').columns(['bank_id', 'host_id'])
      .where(sql<boolean>`state = 'queued' and waits > 0`).execute();
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
