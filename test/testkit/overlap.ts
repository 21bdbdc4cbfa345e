// Backups started together, and how many of them ran at one instant: what a limit on operations
// running at once is checked by.
import assert from 'node:assert/strict';
import type { Api, OperationJson } from './api-client.ts';

export type Timed = OperationJson & { startedAt: string; finishedAt: string };

/** The most of `ops` that were running at one instant. */
export function mostAtOnce(ops: Timed[]): number {
  const edges = ops.flatMap((o) => [{ at: Date.parse(o.startedAt), d: 1 }, { at: Date.parse(o.finishedAt), d: -1 }]).sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0, most = 0;
  for (const e of edges) most = Math.max(most, (now += e.d));
  return most;
}

/** A full backup of each resource, all asked for at once; each must succeed. */
export async function backupsTogether(api: Api, resourceIds: string[]): Promise<Timed[]> {
  const ids = await Promise.all(resourceIds.map(async (id) => (await api.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [id], full: true })).body.id));
  const ops = await Promise.all(ids.map((id) => api.finished(id)));
  for (const op of ops) assert.equal(op.state, 'succeeded', JSON.stringify(op));
  return ops as Timed[];
}

/** When each ran, for an assertion's message. */
export const spans = (ops: Timed[]): string => JSON.stringify(ops.map((o) => [o.startedAt, o.finishedAt]));
