/** Hosts and the resources discovery finds on them, as a graph (a server's volumes point to it). */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import type { Resource } from '../core/plugin.ts';
import type { Database, HostKind } from './schema.ts';

export interface HostRow {
  id: string; name: string; siteId: string; kind: HostKind; location: string; tenantId: string | null; createdAt: Date; discoveredAt: Date | null; discoveryError: string | null;
  /** Operations running on it at once, across the cluster; null: no limit. */
  maxOperations: number | null;
  /** When an agent last said it serves this host; null: the servers and plain workers run its operations. */
  agentSeenAt: Date | null;
}
export interface ResourceRow {
  id: string; hostId: string; tenantId: string | null; type: string; externalId: string; name: string; parentId: string | null;
  sizeBytes: number | null; details: Record<string, unknown>; discoveredAt: Date; missingSince: Date | null;
}

const hostColumns = ['id', 'name', 'site_id', 'kind', 'location', 'tenant_id', 'created_at', 'discovered_at', 'discovery_error', 'max_operations', 'agent_seen_at'] as const;
function hostOf(r: {
  id: string; name: string; site_id: string; kind: HostKind; location: string; tenant_id: string | null; created_at: Date; discovered_at: Date | null; discovery_error: string | null;
  max_operations: number | null; agent_seen_at: Date | null;
}): HostRow {
  return {
    id: r.id, name: r.name, siteId: r.site_id, kind: r.kind, location: r.location, tenantId: r.tenant_id, createdAt: r.created_at, discoveredAt: r.discovered_at, discoveryError: r.discovery_error,
    maxOperations: r.max_operations, agentSeenAt: r.agent_seen_at,
  };
}

export async function addHost(db: Kysely<Database>, host: { name: string; siteId: string; kind: HostKind; location: string; tenantId: string | null }): Promise<HostRow> {
  try {
    const r = await db.insertInto('hosts').values({
      id: randomUUID(), name: host.name, site_id: host.siteId, kind: host.kind, location: host.location, tenant_id: host.tenantId, discovered_at: null, discovery_error: null,
    }).returning(hostColumns).executeTakeFirstOrThrow();
    return hostOf(r);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23505') throw new CairnError('bad-input', `a host named ${host.name} exists already`);
    if (code === '23503') throw new CairnError('bad-input', `there is no site ${host.siteId}${host.tenantId ? ` or no tenant ${host.tenantId}` : ''}`);
    throw err;
  }
}

export async function listHosts(db: Kysely<Database>): Promise<HostRow[]> {
  return (await db.selectFrom('hosts').select(hostColumns).orderBy('name').execute()).map(hostOf);
}

export async function findHost(db: Kysely<Database>, id: string): Promise<HostRow | undefined> {
  const r = await db.selectFrom('hosts').select(hostColumns).where('id', '=', id).executeTakeFirst();
  return r && hostOf(r);
}

/**
 * Records what a discovery found on a host: new resources are added (owned by the host's tenant),
 * known ones updated, and those no longer found marked missing (kept: their checkpoints still restore).
 */
export async function recordDiscovery(db: Kysely<Database>, host: HostRow, found: Resource[]): Promise<{ found: number; added: number; missing: number }> {
  return db.transaction().execute(async (tx) => {
    const known = new Map((await tx.selectFrom('resources').select(['id', 'external_id']).where('host_id', '=', host.id).execute()).map((r) => [r.external_id, r.id]));
    const seen = new Set<string>();
    let added = 0;
    const upsert = async (r: Resource, parentId: string | null): Promise<void> => {
      const key = `${r.type}:${r.id}`;
      seen.add(key);
      let id = known.get(key);
      const values = { type: r.type, name: r.name, parent_id: parentId, size_bytes: r.sizeBytes ?? null, details: JSON.stringify(r.details ?? {}), missing_since: null, discovered_at: new Date() };
      if (id) {
        await tx.updateTable('resources').set(values).where('id', '=', id).execute();
      } else {
        id = randomUUID();
        await tx.insertInto('resources').values({ id, host_id: host.id, tenant_id: host.tenantId, external_id: key, ...values }).execute();
        added++;
      }
      for (const child of r.children ?? []) await upsert(child, id);
    };
    for (const r of found) await upsert(r, null);
    const gone = [...known].filter(([key]) => !seen.has(key)).map(([, id]) => id);
    if (gone.length > 0) await tx.updateTable('resources').set({ missing_since: new Date() }).where('id', 'in', gone).where('missing_since', 'is', null).execute();
    await tx.updateTable('hosts').set({ discovered_at: new Date(), discovery_error: null }).where('id', '=', host.id).execute();
    return { found: seen.size, added, missing: gone.length };
  });
}

/** A new limit applies to operations queued from now on. */
export async function setHostLimit(db: Kysely<Database>, id: string, maxOperations: number | null): Promise<void> {
  const r = await db.updateTable('hosts').set({ max_operations: maxOperations }).where('id', '=', id).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new CairnError('not-found', `there is no host ${id}`);
}

/**
 * An agent (`cairn worker --host <name>`) says it serves these hosts: from then on only agents run their
 * operations. Answers the hosts; throws bad-input naming any that is not in the catalog.
 */
export async function registerAgent(db: Kysely<Database>, names: string[]): Promise<HostRow[]> {
  const rows = await db.updateTable('hosts').set({ agent_seen_at: new Date() }).where('name', 'in', names).returning(hostColumns).execute();
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length) throw new CairnError('bad-input', `there is no host named ${missing.join(', ')}: an operator adds it first (POST /v1/hosts), then its agent starts`);
  return rows.map(hostOf);
}

/** An agent not heard from for this long is taken as gone (it says it serves its hosts every 30 s). */
export const AGENT_GONE_MS = 90_000;

/**
 * Gives a host back to the servers and plain workers: its operations queued or left running by a
 * gone agent get new jobs (answered, to be sent to the common queue). Refused while an agent was heard
 * from lately: a running agent would claim the host again at its next beat.
 */
export async function releaseAgentHost(db: Kysely<Database>, id: string): Promise<{ id: string; jobId: string; scheduled: boolean }[]> {
  return db.transaction().execute(async (tx) => {
    const host = await tx.selectFrom('hosts').select(['name', 'agent_seen_at']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!host) throw new CairnError('not-found', `there is no host ${id}`);
    if (!host.agent_seen_at) return [];
    if (Date.now() - host.agent_seen_at.getTime() < AGENT_GONE_MS) {
      throw new CairnError('locked', `an agent of host ${host.name} was heard from at ${host.agent_seen_at.toISOString()}: stop it (cairn worker --host ${host.name}) and try again in ${Math.ceil(AGENT_GONE_MS / 1000)} s`);
    }
    await tx.updateTable('hosts').set({ agent_seen_at: null }).where('id', '=', id).execute();
    return tx.updateTable('operations').set({ job_id: sql<string>`gen_random_uuid()::text`, due_at: new Date() })
      .where('host_id', '=', id).where('state', 'in', ['queued', 'running']).returning(['id', 'job_id as jobId', 'scheduled']).execute() as Promise<{ id: string; jobId: string; scheduled: boolean }[]>;
  });
}

export async function recordDiscoveryError(db: Kysely<Database>, hostId: string, error: string): Promise<void> {
  await db.updateTable('hosts').set({ discovery_error: error }).where('id', '=', hostId).execute();
}

const resourceColumns = ['id', 'host_id', 'tenant_id', 'type', 'external_id', 'name', 'parent_id', 'size_bytes', 'details', 'discovered_at', 'missing_since'] as const;

/** Resources by id; `tenants` limits them to those owned by these tenants (undefined: all). */
export async function listResources(db: Kysely<Database>, filter: { tenants?: string[]; type?: string; hostId?: string; after?: string; limit: number }): Promise<ResourceRow[]> {
  if (filter.tenants && filter.tenants.length === 0) return [];
  let q = db.selectFrom('resources').select(resourceColumns).orderBy('id').limit(filter.limit);
  if (filter.tenants) q = q.where('tenant_id', 'in', filter.tenants);
  if (filter.type) q = q.where('type', '=', filter.type);
  if (filter.hostId) q = q.where('host_id', '=', filter.hostId);
  if (filter.after) q = q.where('id', '>', filter.after);
  return (await q.execute()).map(resourceOf);
}

export async function findResource(db: Kysely<Database>, id: string): Promise<ResourceRow | undefined> {
  const r = await db.selectFrom('resources').select(resourceColumns).where('id', '=', id).executeTakeFirst();
  return r && resourceOf(r);
}

/** Gives a resource, and the volumes under it, to a tenant (or to none). */
export async function assignResource(db: Kysely<Database>, id: string, tenantId: string | null): Promise<void> {
  try {
    await db.updateTable('resources').set({ tenant_id: tenantId }).where((eb) => eb.or([eb('id', '=', id), eb('parent_id', '=', id)])).execute();
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw new CairnError('bad-input', `there is no tenant ${tenantId}`);
    throw err;
  }
}

function resourceOf(r: { id: string; host_id: string; tenant_id: string | null; type: string; external_id: string; name: string; parent_id: string | null; size_bytes: number | string | null; details: Record<string, unknown>; discovered_at: Date; missing_since: Date | null }): ResourceRow {
  return {
    id: r.id, hostId: r.host_id, tenantId: r.tenant_id, type: r.type, externalId: r.external_id.slice(r.external_id.indexOf(':') + 1), name: r.name, parentId: r.parent_id,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes), details: r.details, discoveredAt: r.discovered_at, missingSince: r.missing_since,
  };
}
