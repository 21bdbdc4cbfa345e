/**
 * Automatic protection: each enabled plan whose policy has a schedule gets a pg-boss schedule, whose
 * ticks (made once across every node) become scheduled backup operations. A tick outside the policy's
 * window starts nothing; jitter spreads the starts of plans that share a tick.
 */
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createOperation, finishOperation, appendLog } from '../catalog/operations.ts';
import { findPlan } from '../catalog/plans.ts';
import { findPolicy } from '../catalog/policies.ts';
import { checkBackupQuota } from '../catalog/quotas.ts';
import type { Database } from '../catalog/schema.ts';
import { CairnError } from '../core/errors.ts';
import { cronOf, inWindow } from '../core/schedule.ts';
import type { NewOperation } from './operations-service.ts';
import type { JobQueue } from './queue.ts';
import type { OperationRow } from '../catalog/operations.ts';

/** Brings the queue's schedules in line with the plans: safe to run on every node, as often as wanted. */
export async function syncSchedules(db: Kysely<Database>, queue: JobQueue): Promise<void> {
  const wanted = await db.selectFrom('plans').innerJoin('policies', 'policies.id', 'plans.policy_id')
    .select(['plans.id as planId', 'policies.schedule', 'policies.time_zone as timeZone'])
    .where('plans.enabled', '=', true).where('policies.schedule', 'is not', null).execute();
  const have = new Map((await queue.scheduledPlans()).map((s) => [s.planId, s]));
  for (const w of wanted) {
    const cron = cronOf(w.schedule!);
    const now = have.get(w.planId);
    if (!now || now.cron !== cron || now.timeZone !== w.timeZone) await queue.schedulePlan(w.planId, cron, w.timeZone);
    have.delete(w.planId);
  }
  for (const planId of have.keys()) await queue.unschedulePlan(planId);
}

/** What a tick does: one scheduled backup of the plan, made once whatever retries the tick. */
export function tickHandler(db: Kysely<Database>, submitOnce: (op: NewOperation) => Promise<OperationRow | undefined>) {
  return async (planId: string, tickId: string): Promise<void> => {
    const plan = await findPlan(db, planId);
    if (!plan?.enabled || plan.resourceIds.length === 0) return;
    const policy = await findPolicy(db, plan.policyId);
    if (!policy?.schedule) return;
    if (!inWindow(new Date(), policy.timing.window, policy.timeZone)) return;
    const op: NewOperation = {
      tenantId: plan.tenantId, type: 'backup', createdBy: null, dedupeKey: `tick:${tickId}`, scheduled: true,
      request: { resourceIds: plan.resourceIds, bankId: plan.bankId, planId: plan.id, full: false, options: policy.options },
      ...(policy.timing.jitterSeconds ? { startAfterSeconds: randomInt(0, policy.timing.jitterSeconds + 1) } : {}),
    };
    try {
      await checkBackupQuota(db, plan.tenantId, plan.resourceIds.length);
    } catch (err) {
      if (!(err instanceof CairnError && err.code === 'quota')) throw err;
      // Refused, and said where people look: a failed operation of the plan, with the reason.
      const refused = await createOperation(db, op);
      if (refused) {
        await appendLog(db, refused.id, 'error', err.message);
        await finishOperation(db, refused.id, 'failed', { error: err.message });
      }
      return;
    }
    await submitOnce(op);
  };
}
