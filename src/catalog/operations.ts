/**
 * Operations: every backup, restore, delete and verify, as asked, as it runs (state, progress, log)
 * and as it ended. Workers write them; the API reads them.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, type Transaction } from 'kysely';
import { timeOrderedId } from './ids.ts';
import { placements } from './placement.ts';
import type { Database, OperationState, OperationType } from './schema.ts';

export interface OperationRow {
  id: string; tenantId: string | null; type: OperationType; state: OperationState; request: Record<string, unknown>;
  progress: Record<string, unknown> | null; result: Record<string, unknown> | null; error: string | null; createdBy: string | null;
  attempts: number; cancelRequested: boolean; createdAt: Date; startedAt: Date | null; finishedAt: Date | null;
  /** Started by a schedule, not by someone. */
  scheduled: boolean;
}
export interface LogLine { id: number; at: Date; level: 'info' | 'warning' | 'error'; message: string }

export const FINISHED: readonly OperationState[] = ['succeeded', 'failed', 'cancelled'];

const columns = ['id', 'tenant_id', 'type', 'state', 'request', 'progress', 'result', 'error', 'created_by', 'attempts', 'cancel_requested', 'created_at', 'started_at', 'finished_at', 'scheduled'] as const;
type Row = {
  id: string; tenant_id: string | null; type: OperationType; state: OperationState; request: Record<string, unknown>; progress: Record<string, unknown> | null;
  result: Record<string, unknown> | null; error: string | null; created_by: string | null; attempts: number; cancel_requested: boolean; created_at: Date; started_at: Date | null; finished_at: Date | null;
  scheduled: boolean;
};
const operationOf = (r: Row): OperationRow => ({
  id: r.id, tenantId: r.tenant_id, type: r.type, state: r.state, request: r.request, progress: r.progress, result: r.result, error: r.error,
  createdBy: r.created_by, attempts: r.attempts, cancelRequested: r.cancel_requested, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  scheduled: r.scheduled,
});

/**
 * Makes an operation, queued, with the id its queue job is to have (the job is sent after the row is
 * made, and sent again by id if it was lost). With a `dedupeKey` it is made once: a second call with the
 * same key answers undefined (a retried expiry finds its delete made already).
 */
export async function createOperation(
  db: Kysely<Database>, op: { tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null; dedupeKey?: string; scheduled?: boolean },
): Promise<{ row: OperationRow; jobId: string } | undefined> {
  const jobId = randomUUID();
  const [at] = await placements(db, [op]);
  const r = await db.insertInto('operations').values({
    id: timeOrderedId(), tenant_id: op.tenantId, type: op.type, state: 'queued', request: JSON.stringify(op.request), created_by: op.createdBy,
    dedupe_key: op.dedupeKey ?? null, scheduled: op.scheduled ?? false, job_id: jobId, host_id: at!.hostId, bank_id: at!.bankId,
  }).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning(columns).executeTakeFirst();
  return r && { row: operationOf(r), jobId };
}

export interface OperationToMake {
  tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null; dedupeKey: string; scheduled: boolean;
  /** Made failed at once, with this reason in its error and log (a schedule's backup over quota). */
  refused?: string;
  /** When its job may start (a schedule's jitter). */
  startAfter?: Date;
}

const CHUNK = 1000;

/**
 * Makes many operations, a statement per thousand; answers the id and job id of those made, by dedupe
 * key (a key made before is left out). Run in the transaction that claims the ticks they come from.
 */
export async function createOperations(db: Kysely<Database>, ops: OperationToMake[]): Promise<Map<string, { id: string; jobId: string }>> {
  const made = new Map<string, { id: string; jobId: string }>();
  const now = new Date();
  for (let i = 0; i < ops.length; i += CHUNK) {
    const chunk = ops.slice(i, i + CHUNK);
    const at = await placements(db, chunk);
    const rows = await db.insertInto('operations').values(chunk.map((op, k) => ({
      id: timeOrderedId(), tenant_id: op.tenantId, type: op.type, request: JSON.stringify(op.request), created_by: op.createdBy,
      dedupe_key: op.dedupeKey, scheduled: op.scheduled, job_id: randomUUID(), host_id: at[k]!.hostId, bank_id: at[k]!.bankId, due_at: op.startAfter ?? now,
      ...(op.refused ? { state: 'failed' as const, error: op.refused, finished_at: now } : { state: 'queued' as const }),
    }))).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning(['id', 'dedupe_key', 'job_id']).execute();
    for (const r of rows) made.set(r.dedupe_key!, { id: r.id, jobId: r.job_id! });
    const lines = chunk.filter((op) => op.refused && made.has(op.dedupeKey)).map((op) => ({ operation_id: made.get(op.dedupeKey)!.id, level: 'error' as const, message: op.refused! }));
    if (lines.length) await db.insertInto('operation_log').values(lines).execute();
  }
  return made;
}

/** An operation the sweep looks at. */
export interface SweepItem { id: string; jobId: string; hostId: string | null; state: OperationState; attempts: number; scheduled: boolean }

/**
 * What the sweep looks at, bounded however long the queue: every running operation (no more than the
 * cluster runs at once), and the 200 queued ones longest overdue by five minutes (whose job may never
 * have been sent, its submitter dead, or may have failed before an attempt began). Operations waiting
 * on purpose (a schedule's jitter, a full host or bank) are not yet due, and those found waiting in the
 * queue (for an agent) go to the back (lookedAt), so they do not crowd out a lost one.
 */
export async function operationsToSweep(db: Kysely<Database>): Promise<SweepItem[]> {
  const q = db.selectFrom('operations').select(['id', 'job_id', 'host_id', 'state', 'attempts', 'scheduled']);
  const running = await q.where('state', '=', 'running').execute();
  const overdue = await q.where('state', '=', 'queued').where('due_at', '<', new Date(Date.now() - 5 * 60_000)).orderBy('due_at').limit(200).execute();
  return [...running, ...overdue].map((r) => ({ id: r.id, jobId: r.job_id!, hostId: r.host_id, state: r.state, attempts: r.attempts, scheduled: r.scheduled }));
}

/** Queued operations whose job the sweep found waiting: the next sweeps look at the others first. */
export async function lookedAt(db: Kysely<Database>, ids: string[]): Promise<void> {
  if (ids.length) await db.updateTable('operations').set({ due_at: new Date() }).where('id', 'in', ids).where('state', '=', 'queued').execute();
}

export async function findOperation(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  const r = await db.selectFrom('operations').select(columns).where('id', '=', id).executeTakeFirst();
  return r && operationOf(r);
}

/** Operations in id order (ids are time-ordered): oldest first, or newest first with `after` paging toward older ones. */
export async function listOperations(db: Kysely<Database>, filter: { tenants?: string[]; type?: OperationType; state?: OperationState; after?: string; limit: number; newestFirst?: boolean }): Promise<OperationRow[]> {
  if (filter.tenants?.length === 0) return [];
  let q = db.selectFrom('operations').select(columns).orderBy('id', filter.newestFirst ? 'desc' : 'asc').limit(filter.limit);
  if (filter.tenants) q = q.where('tenant_id', 'in', filter.tenants);
  if (filter.type) q = q.where('type', '=', filter.type);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.after) q = q.where('id', filter.newestFirst ? '<' : '>', filter.after);
  return (await q.execute()).map(operationOf);
}

/** Why an attempt cannot start yet: its host or bank runs as many operations as its limit allows. */
export interface Wait { waitFor: string; scheduled: boolean; waits: number }

/**
 * Marks an attempt begun; undefined when the operation has ended already (a retried job finds nothing
 * to do, or the job is not the operation's current one), or a `Wait` when its host or bank is full. The
 * host's and the bank's rows are locked while counting (always in that order), so two nodes cannot
 * both take the last slot. An attempt of an operation already running (a retry after its node died)
 * keeps its slot.
 */
export async function startAttempt(db: Kysely<Database>, id: string, jobId: string): Promise<OperationRow | Wait | undefined> {
  return db.transaction().execute(async (tx) => {
    const cur = await tx.selectFrom('operations').select(['state', 'host_id', 'bank_id', 'scheduled', 'job_id', 'waits']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur || (cur.state !== 'queued' && cur.state !== 'running')) return undefined;
    // A job that is no longer the operation's (replaced while it waited for a slot) does nothing: one job runs it.
    if (cur.job_id !== jobId) return undefined;
    if (cur.state === 'queued') {
      const why = await full(tx, 'host', cur.host_id) ?? await full(tx, 'bank', cur.bank_id);
      if (why) return { waitFor: why, scheduled: cur.scheduled, waits: cur.waits };
    }
    const r = await tx.updateTable('operations')
      .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), started_at: eb.fn.coalesce('started_at', eb.val(new Date())) }))
      .where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
    return operationOf(r);
  });
}

/** Why an attempt on this host or bank cannot start now, or undefined when it has a free slot. */
async function full(tx: Transaction<Database>, what: 'host' | 'bank', id: string | null): Promise<string | undefined> {
  if (!id) return undefined;
  const row = await tx.selectFrom(what === 'host' ? 'hosts' : 'banks').select(['name', 'max_operations']).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row?.max_operations) return undefined;
  const { n } = await tx.selectFrom('operations').select((eb) => eb.fn.countAll<number>().as('n'))
    .where(what === 'host' ? 'host_id' : 'bank_id', '=', id).where('state', '=', 'running').executeTakeFirstOrThrow();
  return Number(n) >= row.max_operations ? `${what} ${row.name} runs ${row.max_operations} operation(s) at once, its limit` : undefined;
}

/**
 * Gives a waiting operation the job that will try it again, due at `dueAt`, and counts the wait; false
 * when it no longer waits. The log says why it waits, once.
 */
export async function deferOperation(db: Kysely<Database>, id: string, jobId: string, why: string, dueAt: Date): Promise<boolean> {
  const r = await db.updateTable('operations').set((eb) => ({ job_id: jobId, due_at: dueAt, waits: eb('waits', '+', 1) }))
    .where('id', '=', id).where('state', '=', 'queued').executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  const last = await db.selectFrom('operation_log').select('message').where('operation_id', '=', id).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (last?.message !== `waiting: ${why}`) await appendLog(db, id, 'info', `waiting: ${why}`);
  return true;
}

/**
 * After an operation ended: the operation that has waited for a slot on its host or bank and comes
 * first (people's before schedules', then the oldest), given a new job due now; undefined when none
 * waits. Its old job, due later, finds itself replaced and does nothing.
 */
export async function wakeWaiter(db: Kysely<Database>, ended: string): Promise<{ id: string; jobId: string; scheduled: boolean } | undefined> {
  return db.transaction().execute(async (tx) => {
    const op = await tx.selectFrom('operations').select(['host_id', 'bank_id', 'state']).where('id', '=', ended).executeTakeFirst();
    if (!op || !FINISHED.includes(op.state) || (!op.host_id && !op.bank_id)) return undefined;
    const next = await tx.selectFrom('operations').select(['id', 'scheduled']).where('state', '=', 'queued').where('waits', '>', 0)
      .where((eb) => eb.or([...(op.bank_id ? [eb('bank_id', '=', op.bank_id)] : []), ...(op.host_id ? [eb('host_id', '=', op.host_id)] : [])]))
      .orderBy('scheduled').orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!next) return undefined;
    const jobId = randomUUID();
    await tx.updateTable('operations').set({ job_id: jobId, due_at: new Date() }).where('id', '=', next.id).execute();
    return { id: next.id, jobId, scheduled: next.scheduled };
  });
}

export async function setProgress(db: Kysely<Database>, id: string, progress: Record<string, unknown>): Promise<void> {
  await db.updateTable('operations').set({ progress: JSON.stringify(progress) }).where('id', '=', id).where('state', '=', 'running').execute();
}

export async function appendLog(db: Kysely<Database>, id: string, level: LogLine['level'], message: string): Promise<void> {
  await db.insertInto('operation_log').values({ operation_id: id, level, message }).execute();
}

export async function operationLog(db: Kysely<Database>, id: string): Promise<LogLine[]> {
  const rows = await db.selectFrom('operation_log').select(['id', 'at', 'level', 'message']).where('operation_id', '=', id).orderBy('id').execute();
  return rows.map((r) => ({ id: Number(r.id), at: r.at, level: r.level, message: r.message }));
}

/** Ends an operation once (one that has ended keeps its first ending); with `jobId`, only while that job is still its own (the sweep's verdict on a job it looked at). */
export async function finishOperation(
  db: Kysely<Database>, id: string, state: 'succeeded' | 'failed' | 'cancelled', end: { result?: Record<string, unknown>; error?: string; jobId?: string },
): Promise<boolean> {
  let q = db.updateTable('operations').set({
    state, finished_at: new Date(), ...(end.result ? { result: JSON.stringify(end.result) } : {}), ...(end.error ? { error: end.error } : {}),
  }).where('id', '=', id).where('state', 'not in', FINISHED);
  if (end.jobId) q = q.where('job_id', '=', end.jobId);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

/** Asks a running operation to stop; one still queued is cancelled at once. */
export async function requestCancel(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('operations').set({ cancel_requested: true }).where('id', '=', id).where('state', 'not in', FINISHED).execute();
  await db.updateTable('operations').set({ state: 'cancelled', finished_at: new Date() }).where('id', '=', id).where('state', '=', 'queued').execute();
}

export async function cancelRequested(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('operations').select('cancel_requested').where('id', '=', id).executeTakeFirst())?.cancel_requested ?? false;
}
