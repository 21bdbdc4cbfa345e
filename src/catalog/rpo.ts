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

interface Failure { operationId: string; at: Date; error: string }

/** What a status is made of: the newest good checkpoint per resource and bank, the last failure per plan. */
interface Facts { lastGood: Map<string, Date>; failures: Map<string, Failure> }

/** The facts of some plans, or of all of them: two grouped queries whatever the number of plans. */
async function factsOf(db: Kysely<Database>, plans?: PlanRow[]): Promise<Facts> {
  let good = db.selectFrom('checkpoints').select(['resource_id', 'bank_id', sql<Date>`max(completed_at)`.as('last')])
    .where('status', '=', 'available').where('resource_id', 'is not', null).groupBy(['resource_id', 'bank_id']);
  let failed = db.selectFrom('operations')
    .select([sql<string>`request->>'planId'`.as('plan_id'), 'id', 'finished_at', 'error'])
    .distinctOn(sql`request->>'planId'`).where('type', '=', 'backup').where('state', '=', 'failed').where(sql`request->>'planId'`, 'is not', null)
    .orderBy(sql`request->>'planId'`).orderBy('finished_at', 'desc');
  if (plans) {
    const resourceIds = [...new Set(plans.flatMap((p) => p.resourceIds))];
    if (!resourceIds.length) good = good.where(sql<boolean>`false`);
    else good = good.where('resource_id', 'in', resourceIds);
    failed = failed.where(sql<string>`request->>'planId'`, 'in', plans.map((p) => p.id));
  }
  const lastGood = new Map((await good.execute()).filter((g) => g.last).map((g) => [`${g.resource_id}/${g.bank_id}`, new Date(g.last)]));
  const failures = new Map((await failed.execute()).filter((f) => f.finished_at).map((f) => [f.plan_id, { operationId: f.id, at: f.finished_at!, error: f.error ?? '' }]));
  return { lastGood, failures };
}

function statusOf(plan: PlanRow, policy: PolicyRow, facts: Facts, derivedRpo: (p: PolicyRow) => number | null, now: Date): PlanStatus {
  const derived = plan.rpoSeconds === null ? derivedRpo(policy) : null;
  const rpoSeconds = plan.rpoSeconds ?? derived;
  const resources = plan.resourceIds.map((resourceId) => {
    const lastGoodAt = facts.lastGood.get(`${resourceId}/${plan.bankId}`) ?? null;
    const since = (lastGoodAt ?? plan.createdAt).getTime();
    return { resourceId, lastGoodAt, outOfRpo: rpoSeconds !== null && now.getTime() - since > rpoSeconds * 1000 };
  });
  return {
    rpoSeconds, rpoFromSchedule: plan.rpoSeconds === null && derived !== null, outOfRpo: resources.some((r) => r.outOfRpo), resources,
    lastFailure: facts.failures.get(plan.id) ?? null,
  };
}

/** The RPO a policy's schedule implies, worked out once per policy. */
function derivedRpos(now: Date): (p: PolicyRow) => number | null {
  const known = new Map<string, number | null>();
  return (p) => {
    if (!known.has(p.id)) known.set(p.id, p.schedule ? defaultRpoSeconds(p.schedule, p.timeZone, p.timing, now) : null);
    return known.get(p.id)!;
  };
}

export async function planStatus(db: Kysely<Database>, plan: PlanRow, policy: PolicyRow, now = new Date()): Promise<PlanStatus> {
  return statusOf(plan, policy, await factsOf(db, [plan]), derivedRpos(now), now);
}

/** Every enabled plan with its status, in a handful of queries (metrics and the RPO alerts walk them all). */
export async function enabledPlanStatuses(db: Kysely<Database>, now = new Date()): Promise<{ plan: PlanRow; status: PlanStatus }[]> {
  const policies = new Map((await listPolicies(db, { limit: 1_000_000 })).map((p) => [p.id, p]));
  const plans = (await listPlans(db, { limit: 1_000_000 })).filter((p) => p.enabled && policies.has(p.policyId));
  const facts = await factsOf(db);
  const derived = derivedRpos(now);
  return plans.map((plan) => ({ plan, status: statusOf(plan, policies.get(plan.policyId)!, facts, derived, now) }));
}
