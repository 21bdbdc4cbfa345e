/** Plans: a tenant's resources, protected by a policy into a bank. */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { CairnError } from '../core/errors.ts';
import { groupBy, inChunks } from './chunks.ts';
import { pgCode } from './ids.ts';
import { checkResourceQuota } from './quotas.ts';
import type { Database } from './schema.ts';

export interface PlanInput { name: string; policyId: string; bankId: string; resourceIds: string[]; enabled?: boolean; rpoSeconds?: number | null }
export interface PlanRow { id: string; tenantId: string; name: string; policyId: string; bankId: string; enabled: boolean; rpoSeconds: number | null; resourceIds: string[]; createdAt: Date }

/**
 * What a plan may name: a policy of its tenant or an offering, a bank, and resources the tenant owns.
 * Each is checked here so the caller hears which one is wrong, not a foreign-key violation.
 */
async function checkReferences(tx: Transaction<Database>, tenantId: string, p: Partial<PlanInput>): Promise<void> {
  if (p.policyId !== undefined) {
    const policy = await tx.selectFrom('policies').select('tenant_id').where('id', '=', p.policyId).executeTakeFirst();
    if (!policy || (policy.tenant_id !== null && policy.tenant_id !== tenantId)) throw new CairnError('bad-input', `there is no policy ${p.policyId} in this tenant or among the offerings`);
  }
  if (p.bankId !== undefined && !(await tx.selectFrom('banks').select('id').where('id', '=', p.bankId).executeTakeFirst())) {
    throw new CairnError('bad-input', `there is no bank ${p.bankId}`);
  }
  if (p.resourceIds?.length) {
    const owned = new Set((await tx.selectFrom('resources').select('id').where('id', 'in', p.resourceIds).where('tenant_id', '=', tenantId).execute()).map((r) => r.id));
    const foreign = p.resourceIds.filter((id) => !owned.has(id));
    if (foreign.length) throw new CairnError('bad-input', `there is no resource ${foreign.join(', ')} in this tenant`);
  }
}

async function setResources(tx: Transaction<Database>, planId: string, ids: string[]): Promise<void> {
  await tx.deleteFrom('plan_resources').where('plan_id', '=', planId).execute();
  if (ids.length) await tx.insertInto('plan_resources').values([...new Set(ids)].map((resource_id) => ({ plan_id: planId, resource_id }))).execute();
}

function conflict(err: unknown, name: string | undefined): unknown {
  return pgCode(err) === '23505' ? new CairnError('bad-input', `a plan named ${name} exists already in this tenant: choose another name`) : err;
}

export async function createPlan(db: Kysely<Database>, tenantId: string, p: PlanInput): Promise<PlanRow> {
  const id = randomUUID();
  await checkResourceQuota(db, tenantId, null, p.resourceIds);
  try {
    await db.transaction().execute(async (tx) => {
      await checkReferences(tx, tenantId, p);
      await tx.insertInto('plans').values({ id, tenant_id: tenantId, name: p.name, policy_id: p.policyId, bank_id: p.bankId, enabled: p.enabled ?? true, rpo_seconds: p.rpoSeconds ?? null }).execute();
      await setResources(tx, id, p.resourceIds);
    });
  } catch (err) {
    throw conflict(err, p.name);
  }
  return (await findPlan(db, id))!;
}

export async function updatePlan(db: Kysely<Database>, plan: PlanRow, p: Partial<PlanInput>): Promise<PlanRow> {
  if (p.resourceIds) await checkResourceQuota(db, plan.tenantId, plan.id, p.resourceIds);
  try {
    await db.transaction().execute(async (tx) => {
      await checkReferences(tx, plan.tenantId, p);
      const set = {
        ...(p.name !== undefined ? { name: p.name } : {}), ...(p.policyId !== undefined ? { policy_id: p.policyId } : {}),
        ...(p.bankId !== undefined ? { bank_id: p.bankId } : {}), ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
        ...(p.rpoSeconds !== undefined ? { rpo_seconds: p.rpoSeconds } : {}),
      };
      if (Object.keys(set).length) await tx.updateTable('plans').set(set).where('id', '=', plan.id).execute();
      if (p.resourceIds) await setResources(tx, plan.id, p.resourceIds);
    });
  } catch (err) {
    throw conflict(err, p.name);
  }
  return (await findPlan(db, plan.id))!;
}

const columns = ['id', 'tenant_id', 'name', 'policy_id', 'bank_id', 'enabled', 'rpo_seconds', 'created_at'] as const;

type Row = { id: string; tenant_id: string; name: string; policy_id: string; bank_id: string; enabled: boolean; rpo_seconds: number | null; created_at: Date };
/** The resources of each plan (by id, in order); a plan without any is absent. */
export async function planResources(db: Kysely<Database>, planIds: string[]): Promise<Map<string, string[]>> {
  const links = await inChunks(planIds, (chunk) => db.selectFrom('plan_resources').select(['plan_id', 'resource_id']).where('plan_id', 'in', chunk).orderBy('resource_id').execute());
  return groupBy(links, (l) => l.plan_id, (l) => l.resource_id);
}

async function withResources(db: Kysely<Database>, rows: Row[]): Promise<PlanRow[]> {
  const byPlan = await planResources(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id, tenantId: r.tenant_id, name: r.name, policyId: r.policy_id, bankId: r.bank_id, enabled: r.enabled, rpoSeconds: r.rpo_seconds, createdAt: r.created_at,
    resourceIds: byPlan.get(r.id) ?? [],
  }));
}

export async function findPlan(db: Kysely<Database>, id: string): Promise<PlanRow | undefined> {
  return (await withResources(db, await db.selectFrom('plans').select(columns).where('id', '=', id).execute()))[0];
}

export async function listPlans(db: Kysely<Database>, filter: { tenants?: string[]; policyId?: string; after?: string; limit: number }): Promise<PlanRow[]> {
  if (filter.tenants?.length === 0) return [];
  let q = db.selectFrom('plans').select(columns).orderBy('id').limit(filter.limit);
  if (filter.tenants) q = q.where('tenant_id', 'in', filter.tenants);
  if (filter.policyId) q = q.where('policy_id', '=', filter.policyId);
  if (filter.after) q = q.where('id', '>', filter.after);
  return withResources(db, await q.execute());
}

export async function deletePlan(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('plans').where('id', '=', id).execute();
}
