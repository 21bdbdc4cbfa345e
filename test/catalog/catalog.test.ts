// The catalog on PostgreSQL and on PGlite: nodes that start at once migrate once and make one
// operator account; the schema is the same on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openCatalog, type Catalog } from '../../src/catalog/catalog.ts';
import { ensureAdmin, issueToken, principalOf, signIn } from '../../src/catalog/access.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const TABLES = ['api_tokens', 'banks', 'checkpoints', 'hosts', 'kysely_migration', 'kysely_migration_lock', 'memberships', 'operation_log', 'operations', 'plan_resources',
  'plans', 'policies', 'quotas', 'resources', 'scheduler_clock', 'sites', 'tenants', 'usage_records', 'users', 'webhooks'];

async function tables(c: Catalog): Promise<string[]> {
  const r = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(c.db);
  return r.rows.map((row) => row.table_name);
}

test('three nodes starting at once on one PostgreSQL database migrate it once and make one admin', async (t) => {
  const url = await freshDatabase(t);
  const nodes = await Promise.all([1, 2, 3].map(() => openCatalog({ databaseUrl: url })));
  try {
    await threeNodes(nodes);
  } finally {
    await Promise.all(nodes.map((n) => n.close())); // before the database is dropped
  }
});

async function threeNodes(nodes: Catalog[]): Promise<void> {
  const made = await Promise.all(nodes.map((n) => ensureAdmin(n.db, 'the same admin password')));
  assert.equal(made.filter((m) => m.created).length, 1, 'exactly one node made the account');
  assert.deepEqual(await tables(nodes[0]!), TABLES);
  const users = await nodes[1]!.db.selectFrom('users').select(['username', 'operator']).execute();
  assert.deepEqual(users, [{ username: 'admin', operator: true }]);
  // A token made on one node is honoured by another.
  const admin = await signIn(nodes[2]!.db, 'admin', 'the same admin password');
  assert.ok(admin);
  const token = await issueToken(nodes[2]!.db, admin.id, { name: 'test' });
  assert.equal((await principalOf(nodes[0]!.db, token.token))?.username, 'admin');
  assert.equal(await principalOf(nodes[0]!.db, token.token.slice(0, -1)), undefined);
  assert.match(nodes[0]!.description, /^postgres:\/\/postgres@127\.0\.0\.1:5432\/cairn_test_/);
}

test('the embedded catalog has the same schema, keeps what it holds across reopening, and is held by one opener', async (t) => {
  const dir = join(await tempDir(t), 'data');
  const first = await openCatalog({ dataDir: dir });
  assert.deepEqual(await tables(first), TABLES);
  assert.equal((await ensureAdmin(first.db, undefined)).created, true);
  await assert.rejects(openCatalog({ dataDir: dir }).then((c) => c.close()), /another Cairn process|holds the data directory/);
  await first.close();
  const again = await openCatalog({ dataDir: dir });
  t.after(() => again.close());
  const made = await ensureAdmin(again.db, undefined);
  assert.deepEqual(made, { created: false }, 'the account exists: no new password');
});
