/**
 * Tenants' quotas and what counts against them: the resources their plans protect, their checkpoints,
 * and the bytes those checkpoints stored (what each added to its bank when made: new data, compressed
 * and encrypted; data shared with other tenants' checkpoints is not credited).
 */
import { sql, type Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import type { Database } from './schema.ts';
import { inChunks } from './chunks.ts';

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

/** Why a backup that makes `adding` checkpoints is refused, or undefined: beyond the checkpoints, or started while the bytes are at their limit. */
function backupRefusal(q: Quota, used: TenantUsage, adding: number): string | undefined {
  if (q.maxCheckpoints !== null && used.checkpoints + adding > q.maxCheckpoints) {
    return `this backup would make ${used.checkpoints + adding} checkpoints; the tenant's quota is ${q.maxCheckpoints}: delete checkpoints, or ask an operator for a larger quota`;
  }
  if (q.maxStoredBytes !== null && used.storedBytes >= q.maxStoredBytes) {
    return `the tenant's checkpoints hold ${used.storedBytes} bytes, its quota is ${q.maxStoredBytes}: delete checkpoints, or ask an operator for a larger quota`;
  }
  return undefined;
}

export async function checkBackupQuota(db: Kysely<Database>, tenantId: string, adding: number): Promise<void> {
  const q = await getQuota(db, tenantId);
  if (q.maxCheckpoints === null && q.maxStoredBytes === null) return;
  const why = backupRefusal(q, await tenantUsage(db, tenantId), adding);
  if (why) throw new CairnError('quota', why);
}

/**
 * For many backups at once (a scheduler's turn): a function that answers why the next backup of a
 * tenant is refused, counting those it let through before. Only tenants with limits cost a query.
 */
export async function backupQuotaGate(db: Kysely<Database>, tenantIds: string[]): Promise<(tenantId: string, adding: number) => string | undefined> {
  const limited = new Map<string, { q: Quota; used: TenantUsage }>();
  const rows = await inChunks(tenantIds, (chunk) => db.selectFrom('quotas').select('tenant_id').where('tenant_id', 'in', chunk)
    .where((eb) => eb.or([eb('max_checkpoints', 'is not', null), eb('max_stored_bytes', 'is not', null)])).execute());
  for (const r of rows) limited.set(r.tenant_id, { q: await getQuota(db, r.tenant_id), used: await tenantUsage(db, r.tenant_id) });
  return (tenantId, adding) => {
    const t = limited.get(tenantId);
    if (!t) return undefined;
    const why = backupRefusal(t.q, t.used, adding);
    if (!why) t.used = { ...t.used, checkpoints: t.used.checkpoints + adding };
    return why;
  };
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
