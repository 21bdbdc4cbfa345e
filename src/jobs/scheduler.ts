/**
 * Automatic protection and upkeep. The schedules of plans (their policy's) and of banks (garbage
 * collection, verification) are turned into operations by turns: every node tries a turn every few
 * seconds; one claims the scheduler's clock (a row locked with SKIP LOCKED, so the others skip), makes
 * the operations of every tick since the clock's time and moves the clock on, in one transaction. A
 * node that dies mid-turn leaves nothing made and the clock where it was; the next turn makes it all.
 * Each operation's dedupe key (plan:<id>@<tick>) makes a tick's run once whatever happens.
 *
 * One clock and bulk statements instead of a pg-boss cron per plan: measured with 10,000 plans, a cron
 * per plan made fewer than one run in five (docs/performance.md).
 */
import { randomInt } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { listBanks } from '../catalog/banks.ts';
import { listCheckpoints } from '../catalog/checkpoints.ts';
import { createOperations, type OperationToMake } from '../catalog/operations.ts';
import { agentHostOf } from '../catalog/placement.ts';
import { backupQuotaGate } from '../catalog/quotas.ts';
import type { Database } from '../catalog/schema.ts';
import { cronOf, inWindow, lastTickIn, type Timing } from '../core/schedule.ts';

/** What a turn made: the operations to queue (with when each may start) and those refused (over quota). */
export interface Turn {
  queued: { operationId: string; jobId: string; startAfter?: Date }[];
  refused: { operationId: string; tenantId: string | null; request: Record<string, unknown>; error: string }[];
}

interface Wanted { op: OperationToMake; startAfter?: Date }

/** One turn; undefined when another node holds the clock or no time has passed. */
export async function schedulerTurn(db: Kysely<Database>): Promise<Turn | undefined> {
  return db.transaction().execute(async (tx) => {
    const clock = await tx.selectFrom('scheduler_clock').select(['through', sql<Date>`now()`.as('now')])
      .where('name', '=', 'ticks').forUpdate().skipLocked().executeTakeFirst();
    if (!clock || clock.now <= clock.through) return undefined;
    const wanted = [...await planTicks(tx, clock.through, clock.now), ...await bankTicks(tx, clock.through, clock.now)];
    const made = await createOperations(tx, wanted.map((w) => w.op));
    await tx.updateTable('scheduler_clock').set({ through: clock.now }).where('name', '=', 'ticks').execute();
    const turn: Turn = { queued: [], refused: [] };
    for (const w of wanted) {
      const m = made.get(w.op.dedupeKey);
      if (!m) continue;
      if (w.op.refused) turn.refused.push({ operationId: m.id, tenantId: w.op.tenantId, request: w.op.request, error: w.op.refused });
      else turn.queued.push({ operationId: m.id, jobId: m.jobId, ...(w.startAfter ? { startAfter: w.startAfter } : {}) });
    }
    return turn;
  });
}

/** The latest tick of a schedule in (after, until], or undefined (also for a schedule that no longer parses). */
function tickOf(schedule: string, timeZone: string, after: Date, until: Date): Date | undefined {
  try {
    return lastTickIn(cronOf(schedule), timeZone, after, until);
  } catch {
    return undefined; // checked when the policy was written; a later cron library refusing it must not stop every other plan
  }
}

/**
 * A backup per enabled plan whose policy ticked in (after, until], inside its window and after the plan
 * was made; one per agent-served host when the plan's resources are on several such hosts.
 */
async function planTicks(tx: Transaction<Database>, after: Date, until: Date): Promise<Wanted[]> {
  const plans = await tx.selectFrom('plans').innerJoin('policies', 'policies.id', 'plans.policy_id')
    .select(['plans.id', 'plans.tenant_id', 'plans.bank_id', 'plans.created_at', 'plans.policy_id', 'policies.schedule', 'policies.time_zone', 'policies.timing', 'policies.options'])
    .where('plans.enabled', '=', true).where('policies.schedule', 'is not', null).execute();
  const ticks = new Map<string, Date | undefined>();
  const due: { plan: typeof plans[number]; tick: Date; timing: Timing }[] = [];
  for (const plan of plans) {
    if (!ticks.has(plan.policy_id)) ticks.set(plan.policy_id, tickOf(plan.schedule!, plan.time_zone, after, until));
    const tick = ticks.get(plan.policy_id);
    const timing = plan.timing as Timing;
    if (tick && tick > plan.created_at && inWindow(tick, timing.window, plan.time_zone)) due.push({ plan, tick, timing });
  }
  const resources = await resourcesOf(tx, due.map((d) => d.plan.id));
  const agentHost = await agentHostOf(tx, [...resources.values()].flat());
  const refusal = await backupQuotaGate(tx, [...new Set(due.map((d) => d.plan.tenant_id))]);
  const wanted: Wanted[] = [];
  for (const { plan, tick, timing } of due) {
    // One run per node that can reach them: a host served by agents gets its own.
    const parts = new Map<string, string[]>();
    for (const id of resources.get(plan.id) ?? []) {
      const key = agentHost.get(id)?.id ?? '';
      const part = parts.get(key);
      if (part) part.push(id);
      else parts.set(key, [id]);
    }
    for (const [host, resourceIds] of parts) {
      const refused = refusal(plan.tenant_id, resourceIds.length);
      const key = `plan:${plan.id}@${tick.toISOString()}${parts.size > 1 ? `#${host || 'servers'}` : ''}`;
      wanted.push({
        op: {
          tenantId: plan.tenant_id, type: 'backup', createdBy: null, scheduled: true, dedupeKey: key,
          request: { resourceIds, bankId: plan.bank_id, planId: plan.id, full: false, options: plan.options }, ...(refused ? { refused } : {}),
        },
        // Jitter counts from the tick, not from the turn that found it.
        ...(timing.jitterSeconds ? { startAfter: new Date(tick.getTime() + randomInt(0, timing.jitterSeconds + 1) * 1000) } : {}),
      });
    }
  }
  return wanted;
}

async function resourcesOf(tx: Transaction<Database>, planIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < planIds.length; i += 5000) {
    const rows = await tx.selectFrom('plan_resources').select(['plan_id', 'resource_id']).where('plan_id', 'in', planIds.slice(i, i + 5000)).orderBy('resource_id').execute();
    for (const r of rows) {
      const list = out.get(r.plan_id);
      if (list) list.push(r.resource_id);
      else out.set(r.plan_id, [r.resource_id]);
    }
  }
  return out;
}

/** A bank's garbage collection or verification whose schedule ticked in (after, until]. */
async function bankTicks(tx: Transaction<Database>, after: Date, until: Date): Promise<Wanted[]> {
  const wanted: Wanted[] = [];
  for (const bank of await listBanks(tx)) {
    const m = bank.maintenance, tz = m.timeZone ?? 'UTC';
    const since = bank.createdAt > after ? bank.createdAt : after;
    const common = { tenantId: null, createdBy: null, scheduled: true };
    const gc = m.gcSchedule && tickOf(m.gcSchedule, tz, since, until);
    if (gc) wanted.push({ op: { ...common, type: 'gc', dedupeKey: `gc:${bank.id}@${gc.toISOString()}`, request: { bankId: bank.id } } });
    const verify = m.verifySchedule && tickOf(m.verifySchedule, tz, since, until);
    if (!verify) continue;
    const ids = await verificationSample(tx, bank.id, m.samplePercent, m.reverifyDays);
    if (ids.length) wanted.push({ op: { ...common, type: 'verify', dedupeKey: `verify:${bank.id}@${verify.toISOString()}`, request: { checkpointIds: ids } } });
  }
  return wanted;
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
