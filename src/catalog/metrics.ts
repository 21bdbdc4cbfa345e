/** Service-wide figures for monitoring, read from the catalog so that every node reports the same. */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { enabledPlanStatuses } from './rpo.ts';

export interface ServiceFigures {
  operations: { type: string; state: string; count: number }[];
  durations: { type: string; count: number; seconds: number }[];
  checkpoints: { status: string; count: number; storedBytes: number }[];
  damaged: number;
  /** Available checkpoints no verification has read yet. */
  unverified: number;
  /** Enabled plans with a resource whose last good checkpoint is older than the plan's RPO. */
  plansOutOfRpo: number;
  protectedResources: number;
}

export async function serviceFigures(db: Kysely<Database>): Promise<ServiceFigures> {
  const operations = await db.selectFrom('operations').select(['type', 'state', sql<number>`count(*)::int`.as('count')]).groupBy(['type', 'state']).execute();
  const durations = await db.selectFrom('operations')
    .select(['type', sql<number>`count(*)::int`.as('count'), sql<number>`coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8`.as('seconds')])
    .where('state', '=', 'succeeded').where('started_at', 'is not', null).groupBy('type').execute();
  const checkpoints = await db.selectFrom('checkpoints')
    .select(['status', sql<number>`count(*)::int`.as('count'), sql<number>`coalesce(sum(written_bytes), 0)::bigint`.as('storedBytes')]).groupBy('status').execute();
  const damaged = await db.selectFrom('checkpoints').select(sql<number>`count(*)::int`.as('n')).where('damaged', '=', true).executeTakeFirstOrThrow();
  const unverified = await db.selectFrom('checkpoints').select(sql<number>`count(*)::int`.as('n')).where('status', '=', 'available').where('verified_at', 'is', null).executeTakeFirstOrThrow();
  const plansOutOfRpo = (await enabledPlanStatuses(db)).filter((p) => p.status.outOfRpo).length;
  const resources = await db.selectFrom('plan_resources').select(sql<number>`count(distinct resource_id)::int`.as('n')).executeTakeFirstOrThrow();
  return {
    operations, durations: durations.map((d) => ({ ...d, seconds: Number(d.seconds) })), checkpoints: checkpoints.map((c) => ({ ...c, storedBytes: Number(c.storedBytes) })),
    damaged: damaged.n, unverified: unverified.n, plansOutOfRpo, protectedResources: resources.n,
  };
}
