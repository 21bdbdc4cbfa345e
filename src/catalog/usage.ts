/**
 * Usage records for billing: per tenant, resource and hour, the checkpoints held and the bytes they
 * stored, as last sampled in that hour. Sampling is idempotent (an upsert of the hour's row), so every
 * node may sample, and as often as it likes.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface UsageRow { tenantId: string; tenantName: string | null; resourceId: string; resourceName: string | null; hour: Date; checkpoints: number; storedBytes: number }

export async function sampleUsage(db: Kysely<Database>, now = new Date()): Promise<void> {
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  await sql`
    insert into usage_records (tenant_id, resource_id, hour, checkpoints, stored_bytes)
    select tenant_id, resource_id, ${hour}, count(*), coalesce(sum(written_bytes), 0)
      from checkpoints
     where status in ('protecting', 'available', 'missing') and tenant_id is not null and resource_id is not null
     group by tenant_id, resource_id
    on conflict (tenant_id, hour, resource_id) do update set checkpoints = excluded.checkpoints, stored_bytes = excluded.stored_bytes`.execute(db);
  // A resource whose last checkpoint went holds nothing now: without a row saying so, its last
  // sample would stand as its latest figure in a report or a chart. The latest row of each resource
  // sampled within the month that still counts something is answered with a zero row.
  await sql`
    insert into usage_records (tenant_id, resource_id, hour, checkpoints, stored_bytes)
    select tenant_id, resource_id, ${hour}, 0, 0 from (
      select distinct on (tenant_id, resource_id) tenant_id, resource_id, checkpoints from usage_records
       where hour >= ${new Date(hour.getTime() - 31 * 86_400_000)} order by tenant_id, resource_id, hour desc
    ) latest
     where latest.checkpoints > 0 and not exists (
       select 1 from checkpoints c where c.tenant_id = latest.tenant_id and c.resource_id = latest.resource_id and c.status in ('protecting', 'available', 'missing'))
    on conflict (tenant_id, hour, resource_id) do update set checkpoints = 0, stored_bytes = 0`.execute(db);
}

export async function listUsage(db: Kysely<Database>, filter: { tenants?: string[]; from: Date; to: Date }): Promise<UsageRow[]> {
  if (filter.tenants?.length === 0) return [];
  let q = db.selectFrom('usage_records as u')
    .leftJoin('tenants as t', 't.id', 'u.tenant_id').leftJoin('resources as r', 'r.id', 'u.resource_id')
    .select(['u.tenant_id', 't.name as tenant_name', 'u.resource_id', 'r.name as resource_name', 'u.hour', 'u.checkpoints', 'u.stored_bytes'])
    .where('u.hour', '>=', filter.from).where('u.hour', '<', filter.to).orderBy('u.hour').orderBy('u.tenant_id').orderBy('u.resource_id');
  if (filter.tenants) q = q.where('u.tenant_id', 'in', filter.tenants);
  return (await q.execute()).map((r) => ({
    tenantId: r.tenant_id, tenantName: r.tenant_name, resourceId: r.resource_id, resourceName: r.resource_name, hour: r.hour, checkpoints: r.checkpoints, storedBytes: Number(r.stored_bytes),
  }));
}
