/**
 * Garbage collection: deletes packs no checkpoint needs, while backups keep running.
 *
 * Mark: every chunk referenced by every manifest, marked in the chunk table itself (no second table of
 * ids). A pack none of whose chunks is referenced is dead. Index objects are read one at a time, so
 * the memory of a GC is the chunk table's.
 * Dead packs are not deleted at once but condemned (gc-state.ts): from then on new writers do not
 * reuse their chunks. A condemned pack is deleted when it is still dead and no live writer could have
 * loaded the index before the condemnation (a session that started before it, plus a clock margin).
 * When no writer is live at all, that holds the moment the condemnation is durable, so an idle bank is
 * cleaned in one run. A writer that was declared dead cannot commit (backup-session.ts checks its
 * heartbeat), so a stalled writer never publishes references to deleted chunks.
 *
 * Orphan packs (in no index: a writer crashed before publishing its index, or is still running) are
 * deleted only when older than the grace period and older than every live session.
 *
 * One GC runs at a time (a lock object, gc-state.ts).
 *
 * Order of deletion, so that no reader ever finds an index entry without its pack: for each affected
 * index object, write a new one with its surviving packs and delete it; then delete the packs, then
 * the condemnation records that are done. Partially used packs are kept whole (no repacking
 * in format v1).
 */
import { CairnError, isCairnError } from '../core/errors.ts';
import type { ProgressListener } from '../core/progress.ts';
import { ProgressMeter } from '../core/progress.ts';
import type { Bank } from './bank.ts';
import { acquireGcLock, CLOCK_MARGIN_MS, listCondemned, listSessions, STALE_SESSION_MS, sessionKey, writeCondemned, type CondemnedRecord, type SessionRecord } from './gc-state.ts';
import type { ChunkIndex } from './chunk-index.ts';
import { entryIds, indexKey, newIndexName, openIndex, sealIndex, type IndexedPack } from './index-file.ts';
import { packIdFromKey, packKey } from './pack-format.ts';
import { referencedChunks } from './references.ts';

export interface GcOptions {
  dryRun?: boolean;
  /** Orphan packs younger than this are kept (a writer may still publish them). Default 24 h. */
  orphanGraceMs?: number;
  onProgress?: ProgressListener;
}

export interface GcReport {
  checkpoints: number;
  referencedChunks: number;
  packs: number;
  deadPacks: number;
  condemnedPacks: number;
  deletedPacks: number;
  deletedOrphans: number;
  deletedBytes: number;
  /** Dead packs kept because a live backup may still reuse them; a later GC deletes them. */
  deferredPacks: number;
  liveSessions: number;
  dryRun: boolean;
}

export async function collectGarbage(bank: Bank, options: GcOptions = {}): Promise<GcReport> {
  const release = options.dryRun ? (): Promise<void> => Promise.resolve() : await acquireGcLock(bank.storage);
  try {
    return await collect(bank, options);
  } finally {
    await release();
  }
}

async function collect(bank: Bank, options: GcOptions): Promise<GcReport> {
  const { storage } = bank;
  const start = Date.now();
  const grace = options.orphanGraceMs ?? 24 * 3600_000;
  // Sessions first: a writer that commits after this listing has its manifest in the listing below.
  const sessions = await listSessions(storage);
  const live = sessions.filter((s) => start - s.refreshedAt < STALE_SESSION_MS);

  const manifestIds = await bank.listCheckpointIds();
  const index = await bank.loadIndex();
  let referenced = 0;
  const meter = new ProgressMeter('gc mark', manifestIds.length, options.onProgress);
  // Each distinct index page is walked once: a page walked before had all its entries marked (or the
  // walk threw and gc stopped). Chains of incrementals share most pages.
  // A page missing from the index is not skipped: reading it fails, and gc with it.
  const skipPage = (id: Buffer): boolean => index.has(id) && !index.markWalked(id);
  let checkpoints = 0;
  for (const id of manifestIds) {
    // One manifest at a time: an image's page list grows with its size. One forgotten meanwhile needs nothing kept.
    const m = await bank.findManifest(id);
    try {
      if (m) {
        checkpoints++;
        for await (const ref of referencedChunks(bank, index, m, skipPage)) if (index.mark(ref.id)) referenced++;
      }
    } catch (err) {
      if (isCairnError(err, 'corrupt')) {
        throw new CairnError('corrupt', `cannot read what checkpoint ${id} references (${err.message}); gc deletes nothing while references are unknown: run 'cairn verify' and forget or repair that checkpoint`);
      }
      throw err;
    }
    meter.add(1);
  }
  meter.finish();

  // Which packs each index object names (to rewrite those that name a deleted pack), and the dead ones.
  const objects = new Map<string, string[]>();
  const packsIndexed = new Set<string>();
  const dead = new Set<string>();
  await bank.eachIndexObject(
    () => undefined,
    (name, object) => {
      const packs = openIndex(bank.keys.dataKey, name, object);
      objects.set(name, packs.map((p) => p.packId));
      for (const p of packs) {
        packsIndexed.add(p.packId);
        if (!holdsMarked(p, index)) dead.add(p.packId);
      }
    },
  );

  const records = await listCondemned(storage, bank.keys.dataKey);
  const condemnedBefore = new Set(records.flatMap((r) => r.packs));
  const deletable = new Set<string>();
  let deferred = 0;
  for (const r of records) {
    const blocked = blocks(live, r.condemnedAt);
    for (const p of r.packs) {
      if (!dead.has(p)) continue;
      if (blocked) deferred++; else deletable.add(p);
    }
  }
  const fresh = [...dead].filter((p) => !condemnedBefore.has(p));
  let freshRecord: CondemnedRecord | undefined;
  if (fresh.length > 0 && !options.dryRun) {
    freshRecord = await writeCondemned(storage, bank.keys.dataKey, Date.now(), fresh);
    // Clock-free shortcut: with no live writer now, every later writer sees the record. A writer that
    // ended since the mark may have committed a checkpoint that needs these packs: then wait a run.
    const after = (await listSessions(storage)).filter((s) => Date.now() - s.refreshedAt < STALE_SESSION_MS);
    const marked = new Set(manifestIds);
    const unchanged = (await bank.listCheckpointIds()).every((id) => marked.has(id));
    if (after.length === 0 && unchanged) for (const p of fresh) deletable.add(p);
    else deferred += fresh.length;
  } else {
    deferred += fresh.length;
  }

  const oldestLive = Math.min(...live.map((s) => s.startedAt), Infinity);
  const orphans: { packId: string; size: number }[] = [];
  const sizes = new Map<string, number>();
  for await (const o of storage.list('packs/')) {
    const packId = packIdFromKey(o.key);
    if (!packId) continue;
    sizes.set(packId, o.size);
    if (!packsIndexed.has(packId) && o.modifiedAt < start - grace && o.modifiedAt < oldestLive - CLOCK_MARGIN_MS) orphans.push({ packId, size: o.size });
  }

  const report: GcReport = {
    checkpoints, referencedChunks: referenced, packs: packsIndexed.size, deadPacks: dead.size,
    condemnedPacks: fresh.length, deletedPacks: deletable.size, deletedOrphans: orphans.length,
    deletedBytes: [...deletable].reduce((n, p) => n + (sizes.get(p) ?? 0), 0) + orphans.reduce((n, o) => n + o.size, 0),
    deferredPacks: deferred, liveSessions: live.length, dryRun: !!options.dryRun,
  };
  if (options.dryRun) return report;

  await dropFromIndex(bank, objects, deletable);
  for (const p of deletable) await storage.delete(packKey(p));
  for (const o of orphans) await storage.delete(packKey(o.packId));
  for (const r of freshRecord ? [...records, freshRecord] : records) {
    const left = r.packs.filter((p) => !deletable.has(p) && dead.has(p));
    if (left.length === r.packs.length) continue;
    if (left.length > 0) await writeCondemned(storage, bank.keys.dataKey, r.condemnedAt, left, r.name);
    else await storage.delete(`gc/${r.name}`);
  }
  for (const s of sessions) if (start - s.refreshedAt >= STALE_SESSION_MS) await storage.delete(sessionKey(s.id));
  return report;
}

function holdsMarked(pack: IndexedPack, index: ChunkIndex): boolean {
  for (const id of entryIds(pack.entries)) if (index.isMarked(id)) return true;
  return false;
}

/** A live session that started before the condemnation (within the clock margin) may still reuse its packs. */
function blocks(live: readonly SessionRecord[], condemnedAt: number): boolean {
  return live.some((s) => s.startedAt <= condemnedAt + CLOCK_MARGIN_MS);
}

/**
 * Rewrites each index object that names a deleted pack without it (the new object first, so a reader
 * always finds the surviving packs); one at a time, so memory stays at one object. Only a GC replaces
 * index objects, and it holds the lock: the objects are still those read during the mark.
 */
async function dropFromIndex(bank: Bank, objects: ReadonlyMap<string, string[]>, gone: ReadonlySet<string>): Promise<void> {
  for (const [name, packIds] of objects) {
    if (!packIds.some((p) => gone.has(p))) continue;
    const survivors = openIndex(bank.keys.dataKey, name, await bank.storage.get(indexKey(name))).filter((p) => !gone.has(p.packId));
    if (survivors.length > 0) {
      const successor = newIndexName();
      await bank.storage.put(indexKey(successor), sealIndex(bank.keys.dataKey, successor, survivors));
    }
    await bank.storage.delete(indexKey(name));
  }
}
