/**
 * Automatic protection and upkeep. Each enabled plan whose policy has a schedule, and each bank with a
 * garbage-collection or verification schedule, gets a pg-boss schedule; its ticks (made once across
 * every node) become operations. A plan's tick outside the policy's window starts nothing; jitter
 * spreads the starts of plans that share a tick.
 */
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { listBanks } from '../catalog/banks.ts';
import { listCheckpoints } from '../catalog/checkpoints.ts';
import { appendLog, createOperation, finishOperation, type OperationRow } from '../catalog/operations.ts';
import { findPlan } from '../catalog/plans.ts';
import { findPolicy } from '../catalog/policies.ts';
import { checkBackupQuota } from '../catalog/quotas.ts';
import type { Database } from '../catalog/schema.ts';
import { CairnError } from '../core/errors.ts';
import { cronOf, inWindow } from '../core/schedule.ts';
import type { NewOperation } from './operations-service.ts';
import type { JobQueue, Tick } from './queue.ts';

interface Wanted { cron: string; timeZone: string; tick: Tick }

/** Brings the queue's schedules in line with plans and banks: safe to run on every node, as often as wanted. */
export async function syncSchedules(db: Kysely<Database>, queue: JobQueue): Promise<void> {
  const wanted = new Map<string, Wanted>();
  const plans = await db.selectFrom('plans').innerJoin('policies', 'policies.id', 'plans.policy_id')
    .select(['plans.id as planId', 'policies.schedule', 'policies.time_zone as timeZone'])
    .where('plans.enabled', '=', true).where('policies.schedule', 'is not', null).execute();
  for (const p of plans) wanted.set(`plan/${p.planId}`, { cron: cronOf(p.schedule!), timeZone: p.timeZone, tick: { planId: p.planId } });
  for (const b of await listBanks(db)) {
    const tz = b.maintenance.timeZone ?? 'UTC';
    if (b.maintenance.gcSchedule) wanted.set(`gc/${b.id}`, { cron: cronOf(b.maintenance.gcSchedule), timeZone: tz, tick: { bankId: b.id, task: 'gc' } });
    if (b.maintenance.verifySchedule) wanted.set(`verify/${b.id}`, { cron: cronOf(b.maintenance.verifySchedule), timeZone: tz, tick: { bankId: b.id, task: 'verify' } });
  }
  const have = new Map((await queue.schedules()).map((s) => [s.key, s]));
  for (const [key, w] of wanted) {
    const now = have.get(key);
    if (!now || now.cron !== w.cron || now.timeZone !== w.timeZone) await queue.schedule(key, w.cron, w.timeZone, w.tick);
    have.delete(key);
  }
  for (const key of have.keys()) await queue.unschedule(key);
}

type SubmitOnce = (op: NewOperation) => Promise<OperationRow | undefined>;

/** What a tick does: one operation, made once whatever retries the tick. */
export function tickHandler(db: Kysely<Database>, submitOnce: SubmitOnce) {
  return async (tick: Tick, tickId: string): Promise<void> => {
    if ('planId' in tick) return planTick(db, submitOnce, tick.planId, tickId);
    return bankTick(db, submitOnce, tick.bankId, tick.task, tickId);
  };
}

async function planTick(db: Kysely<Database>, submitOnce: SubmitOnce, planId: string, tickId: string): Promise<void> {
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
}

async function bankTick(db: Kysely<Database>, submitOnce: SubmitOnce, bankId: string, task: 'gc' | 'verify', tickId: string): Promise<void> {
  const bank = (await listBanks(db)).find((b) => b.id === bankId);
  if (!bank) return;
  const common = { tenantId: null, createdBy: null, dedupeKey: `tick:${tickId}`, scheduled: true };
  if (task === 'gc') {
    await submitOnce({ ...common, type: 'gc', request: { bankId } });
    return;
  }
  const ids = await verificationSample(db, bankId, bank.maintenance.samplePercent, bank.maintenance.reverifyDays);
  if (ids.length) await submitOnce({ ...common, type: 'verify', request: { checkpointIds: ids } });
}

/**
 * The checkpoints a scheduled verification checks: every available one, or `percent` of them (at least
 * one), those verified longest ago or never first, leaving out those verified in the last `reverifyDays`.
 */
export async function verificationSample(db: Kysely<Database>, bankId: string, percent?: number, reverifyDays?: number): Promise<string[]> {
  const all = await listCheckpoints(db, { bankId, status: 'available', limit: 1_000_000 });
  const since = reverifyDays === undefined ? undefined : Date.now() - reverifyDays * 86_400_000;
  const due = all.filter((c) => !c.verifiedAt || since === undefined || c.verifiedAt.getTime() < since)
    .sort((a, b) => (a.verifiedAt?.getTime() ?? 0) - (b.verifiedAt?.getTime() ?? 0));
  if (percent === undefined) return due.map((c) => c.id);
  return due.slice(0, Math.max(1, Math.ceil((all.length * percent) / 100))).map((c) => c.id);
}
