/**
 * Where an operation's work is, for the limits on operations running at once: the host of its
 * resources (a backup's, or a restore's target host) when there is one, and its bank. Worked out when
 * the operation is made, in a query per kind of reference however many operations.
 */
import type { Kysely } from 'kysely';
import type { Database, OperationType } from './schema.ts';

export interface Placement { hostId: string | null; bankId: string | null }

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

async function lookup(db: Kysely<Database>, table: 'resources' | 'checkpoints', ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 5000) {
    const chunk = unique.slice(i, i + 5000);
    const rows = table === 'resources'
      ? (await db.selectFrom('resources').select(['id', 'host_id as ref']).where('id', 'in', chunk).execute())
      : (await db.selectFrom('checkpoints').select(['id', 'bank_id as ref']).where('id', 'in', chunk).execute());
    for (const r of rows) out.set(r.id, r.ref);
  }
  return out;
}

/** The one value all of `values` share, or null. */
function only(values: (string | undefined)[]): string | null {
  const set = new Set(values);
  return set.size === 1 ? ([...set][0] ?? null) : null;
}

export async function placements(db: Kysely<Database>, ops: { type: OperationType; request: Record<string, unknown> }[]): Promise<Placement[]> {
  const hostOf = await lookup(db, 'resources', ops.flatMap((o) => (o.type === 'backup' ? strings(o.request.resourceIds) : [])));
  const bankOf = await lookup(db, 'checkpoints', ops.flatMap((o) => [...strings(o.request.checkpointId), ...strings(o.request.checkpointIds)]));
  return ops.map((o) => {
    const r = o.request;
    switch (o.type) {
      case 'backup': return { hostId: only(strings(r.resourceIds).map((id) => hostOf.get(id))), bankId: strings(r.bankId)[0] ?? null };
      case 'restore': return { hostId: strings(r.hostId)[0] ?? null, bankId: only(strings(r.checkpointId).map((id) => bankOf.get(id))) };
      case 'gc': return { hostId: null, bankId: strings(r.bankId)[0] ?? null };
      default: return { hostId: null, bankId: only([...strings(r.checkpointId), ...strings(r.checkpointIds)].map((id) => bankOf.get(id))) };
    }
  });
}

export interface JobRoute {
  hostId: string;
  /** The host's limit on operations running at once, if it has one. */
  limit: number | null;
  /** Only the host's agents may run it. */
  agent: boolean;
}

/** The operations among `ids` whose host limits how many run at once or has an agent, with what applies. */
export async function jobRoutes(db: Kysely<Database>, ids: string[]): Promise<Map<string, JobRoute>> {
  const out = new Map<string, JobRoute>();
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await db.selectFrom('operations').innerJoin('hosts', 'hosts.id', 'operations.host_id')
      .select(['operations.id', 'hosts.id as hostId', 'hosts.max_operations as limit', 'hosts.agent_seen_at as agentSeenAt'])
      .where('operations.id', 'in', ids.slice(i, i + 5000))
      .where((eb) => eb.or([eb('hosts.max_operations', 'is not', null), eb('hosts.agent_seen_at', 'is not', null)])).execute();
    for (const r of rows) out.set(r.id, { hostId: r.hostId, limit: r.limit, agent: r.agentSeenAt !== null });
  }
  return out;
}

/**
 * The host whose agents alone may back up each resource, or undefined when the servers and plain
 * workers serve it: one operation can only run where all its resources are reachable.
 */
export async function agentHostOf(db: Kysely<Database>, resourceIds: string[]): Promise<Map<string, { id: string; name: string }>> {
  const out = new Map<string, { id: string; name: string }>();
  const unique = [...new Set(resourceIds)];
  for (let i = 0; i < unique.length; i += 5000) {
    const rows = await db.selectFrom('resources').innerJoin('hosts', 'hosts.id', 'resources.host_id')
      .select(['resources.id', 'hosts.id as hostId', 'hosts.name']).where('resources.id', 'in', unique.slice(i, i + 5000)).where('hosts.agent_seen_at', 'is not', null).execute();
    for (const r of rows) out.set(r.id, { id: r.hostId, name: r.name });
  }
  return out;
}
