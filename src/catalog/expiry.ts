/**
 * Which of a resource's checkpoints in a bank a policy's retention keeps: the one selection that both
 * automatic expiry (after a plan's backup) and the console's retention preview use, so what the
 * preview shows is what expiry will do with the same checkpoints.
 */
import type { Kysely } from 'kysely';
import { selectRetention, type RetentionSelection } from '../core/retention.ts';
import { listCheckpoints, type CheckpointRow } from './checkpoints.ts';
import { retentionRules, type Retention } from './policies.ts';
import type { Database } from './schema.ts';

/** The available checkpoints of `resourceId` in `bankId` (the candidates), and what `retention` keeps of them; throws bad-input on bad rules. */
export async function expirySelection(
  db: Kysely<Database>, resourceId: string, bankId: string, retention: Retention, timeZone: string,
): Promise<{ held: CheckpointRow[]; selection: RetentionSelection }> {
  const rules = retentionRules(retention);
  const held = await listCheckpoints(db, { resourceId, bankId, status: 'available', limit: 100_000 });
  // A checkpoint's age counts from when it was complete, as the bank's manifest records it.
  const candidates = held.map((c) => ({ id: c.id, createdAt: (c.completedAt ?? c.createdAt).getTime(), pinned: c.pinned }));
  return { held, selection: selectRetention(candidates, rules, { timeZone }) };
}
