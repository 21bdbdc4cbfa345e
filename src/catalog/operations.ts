/**
 * Operations: every backup, restore, delete and verify, as asked, as it runs (state, progress, log)
 * and as it ended. Workers write them; the API reads them.
 */
import type { Kysely } from 'kysely';
import { timeOrderedId } from './ids.ts';
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
 * Makes an operation, queued. With a `dedupeKey` it is made once: a second call with the same key
 * answers undefined (a retried schedule tick finds its backup made already).
 */
export async function createOperation(
  db: Kysely<Database>, op: { tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null; dedupeKey?: string; scheduled?: boolean },
): Promise<OperationRow | undefined> {
  const r = await db.insertInto('operations').values({
    id: timeOrderedId(), tenant_id: op.tenantId, type: op.type, state: 'queued', request: JSON.stringify(op.request), created_by: op.createdBy,
    dedupe_key: op.dedupeKey ?? null, scheduled: op.scheduled ?? false,
  }).onConflict((oc) => oc.column('dedupe_key').doNothing()).returning(columns).executeTakeFirst();
  return r && operationOf(r);
}

export async function setJobId(db: Kysely<Database>, id: string, jobId: string): Promise<void> {
  await db.updateTable('operations').set({ job_id: jobId }).where('id', '=', id).execute();
}

/** Operations not ended, with their jobs: those whose job ended or vanished were interrupted for good. */
export async function unfinishedOperations(db: Kysely<Database>): Promise<{ id: string; jobId: string | null; state: OperationState; createdAt: Date }[]> {
  const rows = await db.selectFrom('operations').select(['id', 'job_id', 'state', 'created_at']).where('state', 'in', ['queued', 'running']).execute();
  return rows.map((r) => ({ id: r.id, jobId: r.job_id, state: r.state, createdAt: r.created_at }));
}

export async function findOperation(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  const r = await db.selectFrom('operations').select(columns).where('id', '=', id).executeTakeFirst();
  return r && operationOf(r);
}

export async function listOperations(db: Kysely<Database>, filter: { tenants?: string[]; type?: OperationType; state?: OperationState; after?: string; limit: number }): Promise<OperationRow[]> {
  if (filter.tenants?.length === 0) return [];
  let q = db.selectFrom('operations').select(columns).orderBy('id').limit(filter.limit);
  if (filter.tenants) q = q.where('tenant_id', 'in', filter.tenants);
  if (filter.type) q = q.where('type', '=', filter.type);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.after) q = q.where('id', '>', filter.after);
  return (await q.execute()).map(operationOf);
}

/** Marks an attempt begun; undefined when the operation has ended already (a retried job finds nothing to do). */
export async function startAttempt(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  const r = await db.updateTable('operations')
    .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), started_at: eb.fn.coalesce('started_at', eb.val(new Date())) }))
    .where('id', '=', id).where('state', 'in', ['queued', 'running']).returning(columns).executeTakeFirst();
  return r && operationOf(r);
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
export async function finishOperation(db: Kysely<Database>, id: string, state: 'succeeded' | 'failed' | 'cancelled', end: { result?: Record<string, unknown>; error?: string }): Promise<void> {
  await db.updateTable('operations').set({
    state, finished_at: new Date(), ...(end.result ? { result: JSON.stringify(end.result) } : {}), ...(end.error ? { error: end.error } : {}),
  }).where('id', '=', id).where('state', 'not in', FINISHED).execute();
}

/** Asks a running operation to stop; one still queued is cancelled at once. */
export async function requestCancel(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('operations').set({ cancel_requested: true }).where('id', '=', id).where('state', 'not in', FINISHED).execute();
  await db.updateTable('operations').set({ state: 'cancelled', finished_at: new Date() }).where('id', '=', id).where('state', '=', 'queued').execute();
}

export async function cancelRequested(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('operations').select('cancel_requested').where('id', '=', id).executeTakeFirst())?.cancel_requested ?? false;
}
