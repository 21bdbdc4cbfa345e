/**
 * Tenants' quotas and what counts against them: the resources their plans protect, their checkpoints,
 * and the bytes those checkpoints stored (what each added to its bank when made: new data, compressed
 * and encrypted; data shared with other tenants' checkpoints is not credited).
 */
import { sql, type Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import type { Database } from './schema.ts';

export interface Quota { maxResources: number | null; maxCheckpoints: number | null; maxStoredBytes: number | null }
export interface TenantUsage { resources: number; checkpoints: number; storedBytes: number }

export const NO_QUOTA: Quota = { maxResources: null, maxCheckpoints: null, maxStoredBytes: null };

export async function getQuota(db: Kysely<Database>, tenantId: string): Promise<Quota> {
  const r = await db.selectFrom('quotas').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return r ? { maxResources: r.max_resources, maxCheckpoints: r.max_checkpoints, maxStoredBytes: r.max_stored_bytes === null ? null : Number(r.max_stored_bytes) } : NO_QUOTA;
}

export async function setQuota(db: Kysely<Database>, tenantId: string, q: Quota): Promise<void> {
  const values = { max_resources: q.maxResources, max_checkpoints: q.maxCheckpoints, max_stored_bytes: q.maxStoredBytes };
  await db.insertInto('quotas').values({ tenant_id: tenantId, ...values }).onConflict((oc) => oc.column('tenant_id').doUpdateSet(values)).execute();
}

/** Checkpoints count while made and while held (not those failed or being deleted). */
const COUNTED = ['protecting', 'available', 'missing'] as const;

export async function tenantUsage(db: Kysely<Database>, tenantId: string): Promise<TenantUsage> {
  const resources = await db.selectFrom('plan_resources').innerJoin('plans', 'plans.id', 'plan_resources.plan_id')
    .select(sql<number>`count(distinct plan_resources.resource_id)::int`.as('n')).where('plans.tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  const cps = await db.selectFrom('checkpoints')
    .select([sql<number>`count(*)::int`.as('n'), sql<number>`coalesce(sum(written_bytes), 0)::bigint`.as('bytes')])
    .where('tenant_id', '=', tenantId).where('status', 'in', COUNTED).executeTakeFirstOrThrow();
  return { resources: resources.n, checkpoints: cps.n, storedBytes: Number(cps.bytes) };
}

/** Refuses a backup that would make `adding` checkpoints beyond the quota, or start while the tenant's bytes are at their limit. */
export async function checkBackupQuota(db: Kysely<Database>, tenantId: string, adding: number): Promise<void> {
  const q = await getQuota(db, tenantId);
  if (q.maxCheckpoints === null && q.maxStoredBytes === null) return;
  const used = await tenantUsage(db, tenantId);
  if (q.maxCheckpoints !== null && used.checkpoints + adding > q.maxCheckpoints) {
    throw new CairnError('quota', `this backup would make ${used.checkpoints + adding} checkpoints; the tenant's quota is ${q.maxCheckpoints}: delete checkpoints, or ask an operator for a larger quota`);
  }
  if (q.maxStoredBytes !== null && used.storedBytes >= q.maxStoredBytes) {
    throw new CairnError('quota', `the tenant's checkpoints hold ${used.storedBytes} bytes, its quota is ${q.maxStoredBytes}: delete checkpoints, or ask an operator for a larger quota`);
  }
}

/** Refuses plans that would protect more distinct resources than the quota: `planId`'s own are replaced by `resourceIds`. */
export async function checkResourceQuota(db: Kysely<Database>, tenantId: string, planId: string | null, resourceIds: string[]): Promise<void> {
  const q = await getQuota(db, tenantId);
  if (q.maxResources === null) return;
  let others = db.selectFrom('plan_resources').innerJoin('plans', 'plans.id', 'plan_resources.plan_id').select('plan_resources.resource_id').where('plans.tenant_id', '=', tenantId);
  if (planId) others = others.where('plans.id', '!=', planId);
  const protectedIds = new Set([...(await others.execute()).map((r) => r.resource_id), ...resourceIds]);
  if (protectedIds.size > q.maxResources) {
    throw new CairnError('quota', `the tenant's plans would protect ${protectedIds.size} resources; its quota is ${q.maxResources}: remove resources from plans, or ask an operator for a larger quota`);
  }
}
