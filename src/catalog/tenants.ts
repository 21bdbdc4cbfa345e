/**
 * Tenants, users and who belongs where. The rules of who may see and change them are the API's
 * (api/scope.ts); this module only reads and writes.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import { hashPassword } from './passwords.ts';
import type { Database, TenantRole } from './schema.ts';

export interface TenantRow { id: string; name: string; createdAt: Date }
export interface UserRow { id: string; username: string; operator: boolean; createdAt: Date; disabled: boolean }
export interface MemberRow { userId: string; username: string; role: TenantRole }

/** One page of a list ordered by id: `after` is the last id of the previous page. */
export interface Page { after?: string; limit: number }

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

export async function createTenant(db: Kysely<Database>, name: string): Promise<TenantRow> {
  const id = randomUUID();
  try {
    const row = await db.insertInto('tenants').values({ id, name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  } catch (err) {
    if (isUniqueViolation(err)) throw new CairnError('bad-input', `a tenant named ${name} exists already: choose another name`);
    throw err;
  }
}

/** Tenants by id; `only` limits them to these ids (a principal's tenants). */
export async function listTenants(db: Kysely<Database>, page: Page, only?: string[]): Promise<TenantRow[]> {
  if (only && only.length === 0) return [];
  let q = db.selectFrom('tenants').select(['id', 'name', 'created_at']).orderBy('id').limit(page.limit);
  if (page.after) q = q.where('id', '>', page.after);
  if (only) q = q.where('id', 'in', only);
  return (await q.execute()).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

export async function findTenant(db: Kysely<Database>, id: string): Promise<TenantRow | undefined> {
  const r = await db.selectFrom('tenants').select(['id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, name: r.name, createdAt: r.created_at };
}

export async function createUser(db: Kysely<Database>, user: { username: string; password: string; operator: boolean }): Promise<UserRow> {
  try {
    const r = await db.insertInto('users')
      .values({ id: randomUUID(), username: user.username, password_hash: await hashPassword(user.password), operator: user.operator, disabled_at: null })
      .returning(['id', 'username', 'operator', 'created_at', 'disabled_at']).executeTakeFirstOrThrow();
    return { id: r.id, username: r.username, operator: r.operator, createdAt: r.created_at, disabled: r.disabled_at !== null };
  } catch (err) {
    if (isUniqueViolation(err)) throw new CairnError('bad-input', `a user named ${user.username} exists already: choose another username`);
    throw err;
  }
}

export async function listUsers(db: Kysely<Database>, page: Page): Promise<UserRow[]> {
  let q = db.selectFrom('users').select(['id', 'username', 'operator', 'created_at', 'disabled_at']).orderBy('id').limit(page.limit);
  if (page.after) q = q.where('id', '>', page.after);
  return (await q.execute()).map((r) => ({ id: r.id, username: r.username, operator: r.operator, createdAt: r.created_at, disabled: r.disabled_at !== null }));
}

export async function findUser(db: Kysely<Database>, id: string): Promise<{ id: string; username: string } | undefined> {
  return db.selectFrom('users').select(['id', 'username']).where('id', '=', id).executeTakeFirst();
}

export async function findUserByName(db: Kysely<Database>, username: string): Promise<{ id: string; username: string } | undefined> {
  return db.selectFrom('users').select(['id', 'username']).where('username', '=', username).executeTakeFirst();
}

export async function listMembers(db: Kysely<Database>, tenantId: string): Promise<MemberRow[]> {
  const rows = await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id as userId', 'users.username', 'memberships.role']).where('memberships.tenant_id', '=', tenantId).orderBy('users.username').execute();
  return rows;
}

export async function setMember(db: Kysely<Database>, tenantId: string, userId: string, role: TenantRole): Promise<void> {
  await db.insertInto('memberships').values({ tenant_id: tenantId, user_id: userId, role })
    .onConflict((c) => c.columns(['user_id', 'tenant_id']).doUpdateSet({ role })).execute();
}

export async function removeMember(db: Kysely<Database>, tenantId: string, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('memberships').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
