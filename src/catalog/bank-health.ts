/**
 * What the catalog knows of a bank's and a host's condition, for operators: the checkpoints a bank
 * holds and the bytes they wrote (as quotas and usage count them: written_bytes), the damaged ones,
 * its last upkeep operations, and the operations running on each bank or host now (what the limits
 * count). Whether the bank itself answers is the BankService's to say, not the catalog's.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, OperationState } from './schema.ts';

/** The checkpoint states that hold data in the bank (as usage counts them). */
const HELD = ['protecting', 'available', 'missing'] as const;

export interface UpkeepRun { id: string; state: OperationState; finishedAt: Date | null; error: string | null }

export interface BankActivity {
  checkpoints: number;
  storedBytes: number;
  damagedCheckpoints: number;
  lastGc: UpkeepRun | null;
  lastVerify: UpkeepRun | null;
  runningOperations: number;
}

export async function bankActivity(db: Kysely<Database>, bankId: string): Promise<BankActivity> {
  const [held, running, lastGc, lastVerify] = await Promise.all([
    db.selectFrom('checkpoints').where('bank_id', '=', bankId).where('status', 'in', HELD)
      .select([sql<number>`count(*)::int`.as('n'), sql<number>`coalesce(sum(written_bytes), 0)::bigint`.as('bytes'), sql<number>`count(*) filter (where damaged)::int`.as('damaged')])
      .executeTakeFirstOrThrow(),
    db.selectFrom('operations').where('bank_id', '=', bankId).where('state', '=', 'running').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    lastRun(db, bankId, 'gc'),
    lastRun(db, bankId, 'verify'),
  ]);
  return { checkpoints: held.n, storedBytes: Number(held.bytes), damagedCheckpoints: held.damaged, lastGc, lastVerify, runningOperations: running.n };
}

/** The newest upkeep operation of its type on the bank, whatever its state (a queued one says one is coming). */
async function lastRun(db: Kysely<Database>, bankId: string, type: 'gc' | 'verify'): Promise<UpkeepRun | null> {
  const r = await db.selectFrom('operations').select(['id', 'state', 'finished_at', 'error'])
    .where('bank_id', '=', bankId).where('type', '=', type).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r ? { id: r.id, state: r.state, finishedAt: r.finished_at, error: r.error } : null;
}

/** Operations running now, by host (hosts with none are absent). */
export async function runningOnHosts(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await db.selectFrom('operations').where('state', '=', 'running').where('host_id', 'is not', null)
    .select(['host_id', sql<number>`count(*)::int`.as('n')]).groupBy('host_id').execute();
  return new Map(rows.map((r) => [r.host_id!, r.n]));
}
