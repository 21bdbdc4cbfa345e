/**
 * The catalog's mirror of the banks' checkpoints. A row is made when a backup begins (protecting),
 * completed from the manifest the bank committed (available), or marked (error, deleting, missing).
 * The bank stays the truth: reconciliation imports what the catalog lacks and marks what the bank lost.
 */
import type { Kysely } from 'kysely';
import type { CheckpointFacts } from '../core/protection.ts';
import { timeOrderedId } from './ids.ts';
import type { CheckpointStatus, Database } from './schema.ts';

export interface CheckpointRow {
  id: string; tenantId: string | null; bankId: string; bankRef: string | null; resourceId: string | null; planId: string | null; operationId: string | null;
  name: string; type: string; parentRef: string | null; status: CheckpointStatus; sourceBytes: number | null; writtenBytes: number | null; storedBytes: number | null;
  error: string | null; createdAt: Date; completedAt: Date | null; verifiedAt: Date | null; damaged: boolean; pinned: boolean;
}

const columns = ['id', 'tenant_id', 'bank_id', 'bank_ref', 'resource_id', 'plan_id', 'operation_id', 'name', 'type', 'parent_ref', 'status', 'source_bytes', 'written_bytes', 'stored_bytes', 'error', 'created_at', 'completed_at', 'verified_at', 'damaged', 'pinned'] as const;
type Row = {
  id: string; tenant_id: string | null; bank_id: string; bank_ref: string | null; resource_id: string | null; plan_id: string | null; operation_id: string | null; name: string; type: string;
  parent_ref: string | null; status: CheckpointStatus; source_bytes: number | null; written_bytes: number | null; stored_bytes: number | null; error: string | null; created_at: Date; completed_at: Date | null; verified_at: Date | null; damaged: boolean; pinned: boolean;
};
const checkpointOf = (r: Row): CheckpointRow => ({
  id: r.id, tenantId: r.tenant_id, bankId: r.bank_id, bankRef: r.bank_ref, resourceId: r.resource_id, planId: r.plan_id, operationId: r.operation_id, name: r.name, type: r.type,
  parentRef: r.parent_ref, status: r.status, sourceBytes: r.source_bytes, writtenBytes: r.written_bytes, storedBytes: r.stored_bytes, error: r.error, createdAt: r.created_at, completedAt: r.completed_at,
  verifiedAt: r.verified_at, damaged: r.damaged, pinned: r.pinned,
});

/** The row of one resource's backup in an operation: made on the first attempt, found again on a retry. */
export async function beginCheckpoint(db: Kysely<Database>, c: { operationId: string; resourceId: string; tenantId: string | null; bankId: string; planId: string | null; name: string; type: string }): Promise<CheckpointRow> {
  const existing = await db.selectFrom('checkpoints').select(columns).where('operation_id', '=', c.operationId).where('resource_id', '=', c.resourceId).executeTakeFirst();
  if (existing) return checkpointOf(existing);
  const r = await db.insertInto('checkpoints').values({
    id: timeOrderedId(), tenant_id: c.tenantId, bank_id: c.bankId, resource_id: c.resourceId, plan_id: c.planId, operation_id: c.operationId, name: c.name, type: c.type, status: 'protecting',
  }).returning(columns).executeTakeFirstOrThrow();
  return checkpointOf(r);
}

function factColumns(f: CheckpointFacts) {
  return {
    bank_ref: f.ref, parent_ref: f.parentRef, type: f.type, name: f.name, source_bytes: f.sourceBytes, written_bytes: f.writtenBytes, stored_bytes: f.storedBytes,
    completed_at: new Date(f.createdAt), status: 'available' as const, error: null,
  };
}

export async function completeCheckpoint(db: Kysely<Database>, id: string, facts: CheckpointFacts): Promise<CheckpointRow> {
  return checkpointOf(await db.updateTable('checkpoints').set(factColumns(facts)).where('id', '=', id).returning(columns).executeTakeFirstOrThrow());
}

export async function setCheckpointStatus(db: Kysely<Database>, id: string, status: CheckpointStatus, error: string | null = null): Promise<void> {
  await db.updateTable('checkpoints').set({ status, error }).where('id', '=', id).execute();
}

export async function recordVerification(db: Kysely<Database>, bankId: string, ref: string, damaged: boolean): Promise<void> {
  await db.updateTable('checkpoints').set({ verified_at: new Date(), damaged }).where('bank_id', '=', bankId).where('bank_ref', '=', ref).execute();
}

export async function removeCheckpoint(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('checkpoints').where('id', '=', id).execute();
}

export async function findCheckpoint(db: Kysely<Database>, id: string): Promise<CheckpointRow | undefined> {
  const r = await db.selectFrom('checkpoints').select(columns).where('id', '=', id).executeTakeFirst();
  return r && checkpointOf(r);
}

/**
 * The checkpoints that match, oldest first by id, a page at a time. With `latest`, only the newest
 * (by creation, then id) of each resource among those that match: `status: 'available'` then gives each
 * resource's last good one. Checkpoints of no resource are left out of `latest`.
 */
export async function listCheckpoints(db: Kysely<Database>, filter: {
  tenants?: string[]; resourceId?: string; planId?: string; bankId?: string; bankRef?: string; status?: CheckpointStatus; latest?: boolean; after?: string; limit: number;
}): Promise<CheckpointRow[]> {
  if (filter.tenants?.length === 0) return [];
  let q = db.selectFrom('checkpoints').select(columns);
  if (filter.tenants) q = q.where('tenant_id', 'in', filter.tenants);
  if (filter.resourceId) q = q.where('resource_id', '=', filter.resourceId);
  if (filter.planId) q = q.where('plan_id', '=', filter.planId);
  if (filter.bankId) q = q.where('bank_id', '=', filter.bankId);
  if (filter.bankRef) q = q.where('bank_ref', '=', filter.bankRef);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.latest) {
    const newest = q.where('resource_id', 'is not', null).distinctOn('resource_id').orderBy('resource_id').orderBy('created_at', 'desc').orderBy('id', 'desc');
    let page = db.selectFrom(newest.as('newest')).selectAll().orderBy('id').limit(filter.limit);
    if (filter.after) page = page.where('id', '>', filter.after);
    return (await page.execute()).map(checkpointOf);
  }
  if (filter.after) q = q.where('id', '>', filter.after);
  return (await q.orderBy('id').limit(filter.limit).execute()).map(checkpointOf);
}

/** How many checkpoints lead back from `ref` to a full one in its bank, both counted; counting stops at `limit`. */
export async function chainLength(db: Kysely<Database>, bankId: string, ref: string, limit: number): Promise<number> {
  let n = 1;
  for (let parent = await parentOf(db, bankId, ref); parent && n < limit; n++) parent = await parentOf(db, bankId, parent);
  return n;
}

async function parentOf(db: Kysely<Database>, bankId: string, ref: string): Promise<string | null> {
  return (await db.selectFrom('checkpoints').select('parent_ref').where('bank_id', '=', bankId).where('bank_ref', '=', ref).executeTakeFirst())?.parent_ref ?? null;
}

export async function setPinned(db: Kysely<Database>, id: string, pinned: boolean): Promise<void> {
  await db.updateTable('checkpoints').set({ pinned }).where('id', '=', id).execute();
}

/** The newest available checkpoint of a resource in a bank: what its next backup is incremental to. */
export async function latestCheckpoint(db: Kysely<Database>, resourceId: string, bankId: string): Promise<CheckpointRow | undefined> {
  const r = await db.selectFrom('checkpoints').select(columns).where('resource_id', '=', resourceId).where('bank_id', '=', bankId).where('status', '=', 'available')
    .orderBy('completed_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r && checkpointOf(r);
}

/** Attribution a Cairn server records in each manifest's tags, so that a catalog can be rebuilt from its banks. */
export function attributionTags(a: { tenantId: string | null; resourceId: string; planId: string | null; operationId: string }): string[] {
  return [`cairn:operation=${a.operationId}`, `cairn:resource=${a.resourceId}`, ...(a.tenantId ? [`cairn:tenant=${a.tenantId}`] : []), ...(a.planId ? [`cairn:plan=${a.planId}`] : [])];
}

export function tagValue(tags: string[], key: string): string | undefined {
  const prefix = `cairn:${key}=`;
  return tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Brings the catalog in line with a bank: checkpoints the bank holds and the catalog lacks are imported
 * (attributed by their tags to tenants, resources and plans this catalog knows), and available ones the
 * bank no longer holds are marked missing. Returns what changed.
 */
export async function reconcileBank(db: Kysely<Database>, bankId: string, inBank: CheckpointFacts[]): Promise<{ imported: number; missing: number }> {
  return db.transaction().execute(async (tx) => {
    const known = new Map((await tx.selectFrom('checkpoints').select(['id', 'bank_ref', 'status']).where('bank_id', '=', bankId).execute()).map((r) => [r.bank_ref, r]));
    const exists = async (table: 'tenants' | 'resources' | 'plans', id: string | undefined): Promise<string | null> =>
      id && await tx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst() ? id : null;
    let imported = 0;
    for (const f of inBank) {
      const row = known.get(f.ref);
      if (row) {
        if (row.status === 'missing') await tx.updateTable('checkpoints').set({ status: 'available' }).where('id', '=', row.id).execute();
        continue;
      }
      const resourceId = await exists('resources', tagValue(f.tags, 'resource'));
      const owner = resourceId ? (await tx.selectFrom('resources').select('tenant_id').where('id', '=', resourceId).executeTakeFirst())?.tenant_id ?? null : null;
      await tx.insertInto('checkpoints').values({
        id: timeOrderedId(new Date(f.createdAt).getTime()), tenant_id: owner ?? await exists('tenants', tagValue(f.tags, 'tenant')), bank_id: bankId, resource_id: resourceId,
        plan_id: await exists('plans', tagValue(f.tags, 'plan')), operation_id: null, created_at: new Date(f.createdAt), ...factColumns(f),
      }).execute();
      imported++;
    }
    const present = new Set(inBank.map((f) => f.ref));
    const lost = [...known.values()].filter((r) => r.bank_ref !== null && r.status === 'available' && !present.has(r.bank_ref)).map((r) => r.id);
    if (lost.length) await tx.updateTable('checkpoints').set({ status: 'missing', error: 'the bank no longer holds this checkpoint' }).where('id', 'in', lost).execute();
    return { imported, missing: lost.length };
  });
}

/** Gives the checkpoints of a bank that belong to no tenant (imported from a bank another catalog made) to one. */
export async function giveUnownedCheckpoints(db: Kysely<Database>, bankId: string, tenantId: string): Promise<number> {
  const r = await db.updateTable('checkpoints').set({ tenant_id: tenantId }).where('bank_id', '=', bankId).where('tenant_id', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
