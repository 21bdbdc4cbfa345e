/**
 * Whether a plan keeps its recovery point objective: each of its resources has a good checkpoint in
 * the plan's bank no older than the RPO (one never backed up counts from when the plan was made).
 */
import { sql, type Kysely } from 'kysely';
import { defaultRpoSeconds } from '../core/schedule.ts';
import { listPlans, type PlanRow } from './plans.ts';
import { listPolicies, type PolicyRow } from './policies.ts';
import type { Database } from './schema.ts';

export interface PlanStatus {
  /** The plan's own RPO, else the one its schedule implies; null: a plan without either has none. */
  rpoSeconds: number | null;
  rpoFromSchedule: boolean;
  outOfRpo: boolean;
  resources: { resourceId: string; lastGoodAt: Date | null; outOfRpo: boolean }[];
  lastFailure: { operationId: string; at: Date; error: string } | null;
}

export async function planStatus(db: Kysely<Database>, plan: PlanRow, policy: PolicyRow, now = new Date()): Promise<PlanStatus> {
  const derived = plan.rpoSeconds === null && policy.schedule ? defaultRpoSeconds(policy.schedule, policy.timeZone, policy.timing, now) : null;
  const rpoSeconds = plan.rpoSeconds ?? derived;
  const good = plan.resourceIds.length === 0 ? [] : await db.selectFrom('checkpoints')
    .select(['resource_id', sql<Date>`max(completed_at)`.as('last')])
    .where('resource_id', 'in', plan.resourceIds).where('bank_id', '=', plan.bankId).where('status', '=', 'available').groupBy('resource_id').execute();
  const lastOf = new Map(good.map((g) => [g.resource_id, g.last ? new Date(g.last) : null]));
  const resources = plan.resourceIds.map((resourceId) => {
    const lastGoodAt = lastOf.get(resourceId) ?? null;
    const since = (lastGoodAt ?? plan.createdAt).getTime();
    return { resourceId, lastGoodAt, outOfRpo: rpoSeconds !== null && now.getTime() - since > rpoSeconds * 1000 };
  });
  const failure = await db.selectFrom('operations').select(['id', 'finished_at', 'error'])
    .where('type', '=', 'backup').where('state', '=', 'failed').where(sql<string>`request->>'planId'`, '=', plan.id)
    .orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
  return {
    rpoSeconds, rpoFromSchedule: plan.rpoSeconds === null && derived !== null, outOfRpo: resources.some((r) => r.outOfRpo), resources,
    lastFailure: failure?.finished_at ? { operationId: failure.id, at: failure.finished_at, error: failure.error ?? '' } : null,
  };
}

/** Every enabled plan with its status, each policy read once (metrics and the RPO alerts walk them all). */
export async function enabledPlanStatuses(db: Kysely<Database>, now = new Date()): Promise<{ plan: PlanRow; status: PlanStatus }[]> {
  const policies = new Map((await listPolicies(db, { limit: 1_000_000 })).map((p) => [p.id, p]));
  const out: { plan: PlanRow; status: PlanStatus }[] = [];
  for (const plan of await listPlans(db, { limit: 1_000_000 })) {
    const policy = plan.enabled ? policies.get(plan.policyId) : undefined;
    if (policy) out.push({ plan, status: await planStatus(db, plan, policy, now) });
  }
  return out;
}
