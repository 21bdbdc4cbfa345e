/**
 * One writer adding one checkpoint. Chunks are deduplicated against everything the bank's
 * index knew when the session started plus what the session wrote itself.
 *
 * Commit order, the invariant that makes crashes harmless:
 *   1. packs (flush waits until every one is durable)
 *   2. index objects naming those packs: one each time the durable packs not yet published hold
 *      INDEX_PART_ENTRIES chunks (so a backup's memory does not grow with its size), one at commit
 *   3. the manifest
 * A crash before 3 leaves only unreferenced packs/index entries, which GC removes later;
 * no checkpoint is ever visible with a missing piece.
 *
 * While it runs the session keeps `sessions/<id>` fresh (a heartbeat) so a concurrent GC knows
 * that chunks it may reuse must not be deleted (see gc.ts for the rule).
 */
import { randomBytes } from 'node:crypto';
import type { Bank } from './bank.ts';
import type { ChunkIndex } from './chunk-index.ts';
import { indexKey, newIndexName, sealIndex, type IndexedPack } from './index-file.ts';
import { manifestKey, newCheckpointId, sealManifest, type Manifest } from './manifest.ts';
import { PackWriter } from './pack-writer.ts';
import { shareOf } from './frame.ts';
import { CLOCK_MARGIN_MS, SESSION_HEARTBEAT_MS, STALE_SESSION_MS, sessionKey, writeSession } from './gc-state.ts';
import { CairnError } from '../core/errors.ts';
import type { ChunkType } from './pack-format.ts';

/** 4 GiB of new 64 KiB blocks; the entries take ~3 MB until published. */
export const INDEX_PART_ENTRIES = 1 << 16;

export interface SessionOptions {
  /** Publish an index object each time durable packs hold this many unpublished chunks. */
  indexPartEntries?: number;
  /** How often the session record is refreshed. */
  heartbeatMs?: number;
  /** The longest time without a successful refresh after which the session may not publish. */
  aliveMs?: number;
  /** The id the checkpoint will have (newCheckpointId()), when the caller names things after it first (a dirty bitmap). */
  checkpointId?: string;
}

export class BackupSession {
  readonly bank: Bank;
  readonly index: ChunkIndex;
  readonly checkpointId: string;
  readonly startedAt: Date;
  /**
   * Chunks some batch is sealing and storing now (latin1 of the id), with the promise of that batch's
   * storing: batches that meet them meanwhile reuse them instead of storing them again.
   */
  readonly inFlight = new Map<string, Promise<void>>();
  readonly #packs: PackWriter;
  readonly #sessionId: string;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastBeat: number;
  /** Set once the heartbeats lapsed past aliveMs: a GC may have declared the session dead meanwhile. */
  #lapsed = false;
  #closed = false;
  readonly #aliveMs: number;
  #newChunks = 0;
  #indexBytes = 0;
  readonly #indexPartEntries: number;

  private constructor(bank: Bank, index: ChunkIndex, sessionId: string, startedAt: number, options: SessionOptions) {
    this.bank = bank;
    this.checkpointId = options.checkpointId ?? newCheckpointId();
    this.#indexPartEntries = options.indexPartEntries ?? INDEX_PART_ENTRIES;
    this.#aliveMs = options.aliveMs ?? STALE_SESSION_MS - CLOCK_MARGIN_MS;
    this.index = index;
    this.#sessionId = sessionId;
    this.startedAt = new Date(startedAt);
    this.#lastBeat = startedAt;
    this.#packs = new PackWriter(bank.storage, bank.keys.dataKey, { packSize: bank.chunking.packSize });
    let beating = false;
    this.#heartbeat = setInterval(() => {
      // One write at a time: a slow one landing after a newer one would set the record back to an
      // older time than #lastBeat says, and a GC would see the session stale while it thinks itself fresh.
      if (beating) return;
      beating = true;
      const now = Date.now();
      writeSession(bank.storage, { id: sessionId, startedAt, refreshedAt: now }).then(() => {
        // A beat after a lapse does not revive the session: what a GC did meanwhile cannot be undone.
        // The record was older than it may be until the write landed, not only until it began.
        if (Date.now() - this.#lastBeat > this.#aliveMs) this.#lapsed = true;
        this.#lastBeat = now;
      }, () => undefined).finally(() => { beating = false; });
    }, options.heartbeatMs ?? SESSION_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Registers the session, then loads the index: a GC that starts after the registration sees it. */
  static async start(bank: Bank, options: SessionOptions = {}): Promise<BackupSession> {
    if (options.checkpointId !== undefined && !/^[0-9a-f]{16}$/.test(options.checkpointId)) throw new Error(`not a checkpoint id: ${options.checkpointId}`);
    const sessionId = randomBytes(8).toString('hex');
    const startedAt = Date.now();
    await writeSession(bank.storage, { id: sessionId, startedAt, refreshedAt: startedAt });
    return new BackupSession(bank, await bank.loadIndex({ forWriting: true }), sessionId, startedAt, options);
  }

  get newChunks(): number {
    return this.#newChunks;
  }

  /**
   * Stores a sealed frame and indexes its members. The caller leaves out chunks the index has; one
   * that another batch stored meanwhile keeps its first location (the copy is harmless, GC keeps both).
   */
  async storeFrame(type: ChunkType, frame: Uint8Array, members: readonly { id: Uint8Array; rawLength: number }[]): Promise<void> {
    if (this.#closed) throw new CairnError('cancelled', 'the backup session has ended; nothing more is stored');
    const at = await this.#packs.add(type, frame, members);
    let raw = 0;
    for (const m of members) raw += m.rawLength;
    for (const m of members) {
      if (this.index.add(m.id, at.packId, at.offset, frame.length, raw)) this.#newChunks++;
    }
    if (this.#packs.durableEntries >= this.#indexPartEntries) await this.#publishIndex(this.#packs.takeDurable());
  }

  /** Stores a metadata chunk (index page, catalog piece) unless the bank has it; returns its id. */
  async storeMeta(plaintext: Uint8Array): Promise<Buffer> {
    const id = this.bank.chunkId(plaintext);
    if (!this.index.has(id)) await this.storeFrame('meta', this.bank.sealMeta(id, plaintext), [{ id, rawLength: plaintext.length }]);
    return id;
  }

  /** The bytes in the bank a chunk accounts for: its share of its frame. */
  storedLength(id: Uint8Array, rawLength: number): number {
    const at = this.index.get(id);
    return at ? shareOf(at.length, rawLength, at.frameRaw) : 0;
  }

  /** Makes the checkpoint durable and visible; returns the manifest with writtenBytes filled in. */
  async commit(manifest: Omit<Manifest, 'version' | 'id' | 'startedAt' | 'createdAt' | 'host' | 'writtenBytes'>): Promise<Manifest> {
    await this.#publishIndex(await this.#packs.flush());
    await this.#checkAlive();
    const written = this.#packs.writtenBytes + this.#indexBytes;
    const full: Manifest = {
      version: 1,
      id: this.checkpointId,
      startedAt: this.startedAt.toISOString(),
      createdAt: new Date().toISOString(),
      host: this.bank.host,
      writtenBytes: written,
      ...manifest,
    };
    // writtenBytes counts the manifest too; its sealed size does not depend on the digits enough to matter.
    full.writtenBytes = written + sealManifest(this.bank.keys.dataKey, full).length;
    await this.bank.storage.put(manifestKey(full.id), sealManifest(this.bank.keys.dataKey, full));
    await this.close();
    return full;
  }

  async #publishIndex(packs: IndexedPack[]): Promise<void> {
    if (packs.length === 0) return;
    await this.#checkAlive();
    const name = newIndexName();
    const object = sealIndex(this.bank.keys.dataKey, name, packs);
    await this.bank.storage.put(indexKey(name), object);
    this.#indexBytes += object.length;
  }

  /**
   * A writer that could not show it was alive may have been declared dead by a GC, which may then
   * have deleted chunks this checkpoint reuses, or its own packs (named by its index objects):
   * publishing would name them. Once true, this stays true, even if the heartbeats resume.
   */
  async #checkAlive(): Promise<void> {
    if (Date.now() - this.#lastBeat > this.#aliveMs) this.#lapsed = true;
    if (!this.#lapsed) return;
    await this.close();
    throw new CairnError('storage', 'the backup could not refresh its session record in time (stalled or cut off from the bank); nothing was committed: run it again', { transient: true });
  }

  /**
   * Ends the session without a checkpoint; what was uploaded stays unreferenced until GC. Uploads
   * under way finish first, so nothing lands in the bank after the session is gone.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.#packs.settle();
    await this.bank.storage.delete(sessionKey(this.#sessionId)).catch(() => undefined);
  }
}
