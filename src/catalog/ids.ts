/** Ids for rows listed in time order: pages ordered by id then read oldest first. */
import { randomBytes } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made in the same
 * millisecond order randomly among themselves, which lists tolerate.
 */
export function timeOrderedId(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** PostgreSQL's SQLSTATE of a failed statement: 23505 a unique violation, 23503 a missing reference. */
export function pgCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}
