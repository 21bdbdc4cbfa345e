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
import { planResources } from '../catalog/plans.ts';
import { agentHostOf } from '../catalog/placement.ts';
import { AGENT_GONE_MS } from '../catalog/resources.ts';
import { backupQuotaGate } from '../catalog/quotas.ts';
import type { Database } from '../catalog/schema.ts';
import { cronOf, inWindow, lastTickIn, type Timing } from '../core/schedule.ts';

/** What a turn made: the operations to queue (with when each may start) and those refused (over quota). */
export interface Turn {
  queued: { operationId: string; jobId: string; startAfter?: Date }[];
  refused: { operationId: string; tenantId: string | null; request: Record<string, unknown>; error: string }[];
}


/** One turn; undefined when another node holds the clock or no time has passed. */
export async function schedulerTurn(db: Kysely<Database>): Promise<Turn | undefined> {
  return db.transaction().execute(async (tx) => {
    const clock = await tx.selectFrom('scheduler_clock').select(['through', sql<Date>`now()`.as('now')])
      .where('name', '=', 'ticks').forUpdate().skipLocked().executeTakeFirst();
    if (!clock || clock.now <= clock.through) return undefined;
    const wanted = [...await planTicks(tx, clock.through, clock.now), ...await bankTicks(tx, clock.through, clock.now)];
    const made = await createOperations(tx, wanted);
    await tx.updateTable('scheduler_clock').set({ through: clock.now }).where('name', '=', 'ticks').execute();
    const turn: Turn = { queued: [], refused: [] };
    for (const w of wanted) {
      const m = made.get(w.dedupeKey);
      if (!m) continue;
      if (w.refused) turn.refused.push({ operationId: m.id, tenantId: w.tenantId, request: w.request, error: w.refused });
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
 * was made; one per agent-served host when the plan's resources are on several such hosts. A host
 * whose agents are gone gets no new backup of a plan while one still waits for them: an outage of a
 * week leaves one backup to run when an agent comes back, not a week of them.
 */
async function planTicks(tx: Transaction<Database>, after: Date, until: Date): Promise<OperationToMake[]> {
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
  const resources = await planResources(tx, due.map((d) => d.plan.id));
  const agentHost = await agentHostOf(tx, [...resources.values()].flat());
  const refusal = await backupQuotaGate(tx, [...new Set(due.map((d) => d.plan.tenant_id))]);
  const waiting = await waitingForGoneAgents(tx, [...agentHost.values()]);
  const wanted: OperationToMake[] = [];
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
      if (waiting.has(`${plan.id}@${host}`)) continue;
      const refused = refusal(plan.tenant_id, resourceIds.length);
      const key = `plan:${plan.id}@${tick.toISOString()}${parts.size > 1 ? `#${host || 'servers'}` : ''}`;
      wanted.push({
        tenantId: plan.tenant_id, type: 'backup', createdBy: null, scheduled: true, dedupeKey: key,
        request: { resourceIds, bankId: plan.bank_id, planId: plan.id, full: false, options: plan.options }, ...(refused ? { refused } : {}),
        // Jitter counts from the tick, not from the turn that found it.
        ...(timing.jitterSeconds ? { startAfter: new Date(tick.getTime() + randomInt(0, timing.jitterSeconds + 1) * 1000) } : {}),
      });
    }
  }
  return wanted;
}

/** `<plan>@<host>` of the scheduled backups still queued for hosts whose agents are gone. */
async function waitingForGoneAgents(tx: Transaction<Database>, hosts: { id: string; seenAt: Date }[]): Promise<Set<string>> {
  const gone = [...new Set(hosts.filter((h) => Date.now() - h.seenAt.getTime() > AGENT_GONE_MS).map((h) => h.id))];
  if (!gone.length) return new Set();
  const rows = await tx.selectFrom('operations').select([sql<string>`request->>'planId'`.as('plan'), 'host_id'])
    .where('state', '=', 'queued').where('scheduled', '=', true).where('type', '=', 'backup').where('host_id', 'in', gone).execute();
  return new Set(rows.map((r) => `${r.plan}@${r.host_id}`));
}

/** A bank's garbage collection or verification whose schedule ticked in (after, until]. */
async function bankTicks(tx: Transaction<Database>, after: Date, until: Date): Promise<OperationToMake[]> {
  const wanted: OperationToMake[] = [];
  for (const bank of await listBanks(tx)) {
    const m = bank.maintenance, tz = m.timeZone ?? 'UTC';
    const since = bank.createdAt > after ? bank.createdAt : after;
    const common = { tenantId: null, createdBy: null, scheduled: true };
    const gc = m.gcSchedule && tickOf(m.gcSchedule, tz, since, until);
    if (gc) wanted.push({ ...common, type: 'gc', dedupeKey: `gc:${bank.id}@${gc.toISOString()}`, request: { bankId: bank.id } });
    const verify = m.verifySchedule && tickOf(m.verifySchedule, tz, since, until);
    if (!verify) continue;
    const ids = await verificationSample(tx, bank.id, m.samplePercent, m.reverifyDays);
    if (ids.length) wanted.push({ ...common, type: 'verify', dedupeKey: `verify:${bank.id}@${verify.toISOString()}`, request: { checkpointIds: ids } });
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
