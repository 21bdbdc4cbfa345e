/**
 * The two kinds of records that let garbage collection run while backups write:
 *
 *   sessions/<16 hex>   plaintext {startedAt, refreshedAt}: a writer that may reuse any chunk it saw in
 *                       the index when it started. Refreshed every minute; stale after STALE_SESSION_MS.
 *   gc/<16 hex>         sealed {condemnedAt, packs}: packs a GC found unreferenced. Writers that load the
 *                       index after this record exists do not deduplicate against these packs, so they
 *                       cannot gain new references except through writers that started earlier.
 */
import { randomBytes } from 'node:crypto';
import { CairnError, isNotFound } from '../core/errors.ts';
import type { StorageBackend } from '../core/storage-backend.ts';
import { contextOf, openDecompressed, sealCompressed } from './envelope.ts';

export const SESSION_HEARTBEAT_MS = 60_000;
/** A session not refreshed for this long is dead; a writer that could not refresh for this long must not commit. */
export const STALE_SESSION_MS = 15 * 60_000;
/** Allowance for clocks of different machines and for the time between a session's start and its index load. */
export const CLOCK_MARGIN_MS = 5 * 60_000;

export interface SessionRecord {
  id: string;
  startedAt: number;
  refreshedAt: number;
}

export interface CondemnedRecord {
  name: string;
  condemnedAt: number;
  packs: string[];
}

export function sessionKey(id: string): string {
  return `sessions/${id}`;
}

export async function writeSession(storage: StorageBackend, s: SessionRecord): Promise<void> {
  await storage.put(sessionKey(s.id), Buffer.from(JSON.stringify({ startedAt: s.startedAt, refreshedAt: s.refreshedAt })));
}

export async function listSessions(storage: StorageBackend): Promise<SessionRecord[]> {
  const out: SessionRecord[] = [];
  for await (const o of storage.list('sessions/')) {
    const id = o.key.slice('sessions/'.length);
    try {
      const r = JSON.parse(Buffer.from(await storage.get(o.key)).toString('utf8')) as { startedAt: number; refreshedAt: number };
      out.push({ id, startedAt: r.startedAt, refreshedAt: r.refreshedAt });
    } catch (err) {
      if (!isNotFound(err)) throw err; // ended while we listed
    }
  }
  return out;
}

export async function listCondemned(storage: StorageBackend, dataKey: Uint8Array): Promise<CondemnedRecord[]> {
  const out: CondemnedRecord[] = [];
  for await (const o of storage.list('gc/')) {
    const name = o.key.slice('gc/'.length);
    if (!/^[0-9a-f]{16}$/.test(name)) continue; // gc/lock-* and anything else is not a condemnation
    try {
      const plain = openDecompressed(dataKey, contextOf(`cairn:gc:${name}`), await storage.get(o.key), `gc record ${name}`);
      const r = JSON.parse(plain.toString('utf8')) as { condemnedAt: number; packs: string[] };
      out.push({ name, condemnedAt: r.condemnedAt, packs: r.packs });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return out;
}

export async function writeCondemned(storage: StorageBackend, dataKey: Uint8Array, condemnedAt: number, packs: string[], name = randomBytes(8).toString('hex')): Promise<CondemnedRecord> {
  const body = Buffer.from(JSON.stringify({ condemnedAt, packs }));
  await storage.put(`gc/${name}`, sealCompressed(dataKey, contextOf(`cairn:gc:${name}`), body));
  return { name, condemnedAt, packs };
}

/**
 * One GC at a time, without conditional writes: write our lock, then list the locks; if any other
 * live lock exists, withdraw. Two GCs starting together may both withdraw, never both proceed
 * (each sees the other's lock, since each writes before it lists).
 */
export async function acquireGcLock(storage: StorageBackend): Promise<() => Promise<void>> {
  const key = `gc/lock-${randomBytes(8).toString('hex')}`;
  const startedAt = Date.now();
  const beat = (): Promise<void> => storage.put(key, Buffer.from(JSON.stringify({ startedAt, refreshedAt: Date.now() })));
  await beat();
  for await (const o of storage.list('gc/lock-')) {
    if (o.key === key) continue;
    try {
      const other = JSON.parse(Buffer.from(await storage.get(o.key)).toString('utf8')) as { startedAt: number; refreshedAt: number };
      if (Date.now() - other.refreshedAt < STALE_SESSION_MS) {
        await storage.delete(key);
        throw new CairnError('locked', `another gc has been running on this bank since ${new Date(other.startedAt).toISOString()}; run gc again when it has finished`);
      }
      await storage.delete(o.key); // a GC that died long ago
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const timer = setInterval(() => { beat().catch(() => undefined); }, SESSION_HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await storage.delete(key);
  };
}
