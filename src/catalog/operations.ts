/**
 * Operations: every backup, restore, delete and verify, as asked, as it runs (state, progress, log)
 * and as it ended. Workers write them; the API reads them.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely } from 'kysely';
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
      dedupe_key: op.dedupeKey, scheduled: op.scheduled, job_id: randomUUID(), host_id: at[k]!.hostId, bank_id: at[k]!.bankId,
      ...(op.refused ? { state: 'failed' as const, error: op.refused, finished_at: now } : { state: 'queued' as const }),
    }))).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning(['id', 'dedupe_key', 'job_id']).execute();
    for (const r of rows) made.set(r.dedupe_key!, { id: r.id, jobId: r.job_id! });
    const lines = chunk.filter((op) => op.refused && made.has(op.dedupeKey)).map((op) => ({ operation_id: made.get(op.dedupeKey)!.id, level: 'error' as const, message: op.refused! }));
    if (lines.length) await db.insertInto('operation_log').values(lines).execute();
  }
  return made;
}

/**
 * What the sweep looks at, bounded however long the queue: every running operation (no more than the
 * cluster runs at once), and the 200 oldest queued for over five minutes (whose job may never have been
 * sent, its submitter dead, or may have failed before an attempt began).
 */
export async function operationsToSweep(db: Kysely<Database>): Promise<{ id: string; jobId: string; hostId: string | null; state: OperationState; attempts: number }[]> {
  const q = db.selectFrom('operations').select(['id', 'job_id', 'host_id', 'state', 'attempts']);
  const running = await q.where('state', '=', 'running').execute();
  const waiting = await q.where('state', '=', 'queued').where('created_at', '<', new Date(Date.now() - 5 * 60_000)).orderBy('created_at').limit(200).execute();
  return [...running, ...waiting].map((r) => ({ id: r.id, jobId: r.job_id!, hostId: r.host_id, state: r.state, attempts: r.attempts }));
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

/**
 * Marks an attempt begun; undefined when the operation has ended already (a retried job finds nothing
 * to do, or the job is not the operation's current one), or `waitFor` when its bank runs as many operations as its limit allows (the bank's row is
 * locked while counting, so two nodes cannot both take the last slot). An attempt of an operation
 * already running (a retry after its node died) keeps its slot.
 */
export async function startAttempt(db: Kysely<Database>, id: string, jobId: string): Promise<OperationRow | { waitFor: string; scheduled: boolean } | undefined> {
  return db.transaction().execute(async (tx) => {
    const cur = await tx.selectFrom('operations').select(['state', 'bank_id', 'scheduled', 'job_id']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!cur || (cur.state !== 'queued' && cur.state !== 'running')) return undefined;
    // A job that is no longer the operation's (replaced while it waited for a slot) does nothing: one job runs it.
    if (cur.job_id !== jobId) return undefined;
    if (cur.state === 'queued' && cur.bank_id) {
      const bank = await tx.selectFrom('banks').select(['name', 'max_operations']).where('id', '=', cur.bank_id).forUpdate().executeTakeFirst();
      if (bank?.max_operations) {
        const { n } = await tx.selectFrom('operations').select((eb) => eb.fn.countAll<number>().as('n')).where('bank_id', '=', cur.bank_id).where('state', '=', 'running').executeTakeFirstOrThrow();
        if (Number(n) >= bank.max_operations) return { waitFor: `bank ${bank.name} runs ${bank.max_operations} operation(s) at once, its limit`, scheduled: cur.scheduled };
      }
    }
    const r = await tx.updateTable('operations')
      .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), started_at: eb.fn.coalesce('started_at', eb.val(new Date())) }))
      .where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
    return operationOf(r);
  });
}

/** Gives a waiting operation the job that will try it again; the log says why it waits, once. */
export async function deferOperation(db: Kysely<Database>, id: string, jobId: string, why: string): Promise<boolean> {
  const r = await db.updateTable('operations').set({ job_id: jobId }).where('id', '=', id).where('state', '=', 'queued').executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  const last = await db.selectFrom('operation_log').select('message').where('operation_id', '=', id).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (last?.message !== `waiting: ${why}`) await appendLog(db, id, 'info', `waiting: ${why}`);
  return true;
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

/** Ends an operation once: an operation that has ended already keeps its first ending. */
/** Ends an operation; with `jobId`, only while that job is still its own (the sweep's verdict on a job it looked at). */
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
