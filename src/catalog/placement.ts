/**
 * Where an operation's work is, for the limits on operations running at once: the host of its
 * resources (a backup's, or a restore's target host) when there is one, and its bank. Worked out when
 * the operation is made, in a query per kind of reference however many operations.
 */
import type { Kysely } from 'kysely';
import { inChunks } from './chunks.ts';
import type { Database, OperationType } from './schema.ts';

export interface Placement { hostId: string | null; bankId: string | null }

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

async function lookup(db: Kysely<Database>, table: 'resources' | 'checkpoints', ids: string[]): Promise<Map<string, string>> {
  const rows = await inChunks(ids, (chunk) => (table === 'resources'
    ? db.selectFrom('resources').select(['id', 'host_id as ref']).where('id', 'in', chunk).execute()
    : db.selectFrom('checkpoints').select(['id', 'bank_id as ref']).where('id', 'in', chunk).execute()));
  return new Map(rows.map((r) => [r.id, r.ref]));
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
  hostName: string;
  /** When an agent last said it serves the host. */
  agentSeenAt: Date | null;
}

/** The operations among `ids` whose host limits how many run at once or has an agent, with what applies. */
export async function jobRoutes(db: Kysely<Database>, ids: string[]): Promise<Map<string, JobRoute>> {
  const rows = await inChunks(ids, (chunk) => db.selectFrom('operations').innerJoin('hosts', 'hosts.id', 'operations.host_id')
    .select(['operations.id', 'hosts.id as hostId', 'hosts.name', 'hosts.max_operations as limit', 'hosts.agent_seen_at as agentSeenAt'])
    .where('operations.id', 'in', chunk)
    .where((eb) => eb.or([eb('hosts.max_operations', 'is not', null), eb('hosts.agent_seen_at', 'is not', null)])).execute());
  return new Map(rows.map((r) => [r.id, { hostId: r.hostId, hostName: r.name, limit: r.limit, agent: r.agentSeenAt !== null, agentSeenAt: r.agentSeenAt }]));
}

/**
 * The host whose agents alone may back up each resource, or undefined when the servers and plain
 * workers serve it: one operation can only run where all its resources are reachable.
 */
export async function agentHostOf(db: Kysely<Database>, resourceIds: string[]): Promise<Map<string, { id: string; name: string; seenAt: Date }>> {
  const rows = await inChunks(resourceIds, (chunk) => db.selectFrom('resources').innerJoin('hosts', 'hosts.id', 'resources.host_id')
    .select(['resources.id', 'hosts.id as hostId', 'hosts.name', 'hosts.agent_seen_at as seenAt']).where('resources.id', 'in', chunk).where('hosts.agent_seen_at', 'is not', null).execute());
  return new Map(rows.map((r) => [r.id, { id: r.hostId, name: r.name, seenAt: r.seenAt! }]));
}
