/**
 * Stores batches of chunks for a backup, in two trips to the codec pool: the first computes ids and
 * finds zero chunks; the main thread then keeps the chunks the bank lacks (deduplication needs the
 * index, which lives here); the second seals those into frames, which go to the session's packs.
 * While batches keep being all new (a full backup), one trip does both: each trip costs the workers
 * a wake-up, which is dear on this VM, and the main thread a message each way.
 */
import type { BackupSession } from '../bank/backup-session.ts';
import { frameRoom } from '../bank/frame.ts';
import type { ChunkType } from '../bank/pack-format.ts';
import { BufferPool } from './buffer-pool.ts';
import { ZERO_CHUNK, type CodecPool } from './codec-pool.ts';

export interface StoredBatch {
  /** The batch's data buffer, back from the pool. */
  data: ArrayBuffer | SharedArrayBuffer;
  /** 32 bytes per chunk: its id, or the zero id (32 zero bytes) for an all-zero chunk. */
  ids: Uint8Array;
  /** Per chunk, ZERO_CHUNK, SAME_AS_SKIP_ID or HASHED. */
  kinds: Int8Array;
  /** What the batch's chunks account for in the bank (their shares of their frames). */
  storedBytes: number;
}

export interface ChunkStorerOptions {
  type: ChunkType;
  level: number;
  /** Consecutive new chunks share a frame up to this many bytes; 0: a frame per chunk. */
  frameBytes: number;
  /** The usual largest batch, in bytes and in chunks, to size reusable output buffers (a larger one costs an allocation). */
  batchBytes: number;
  batchChunks: number;
}

export class ChunkStorer {
  readonly #session: BackupSession;
  readonly #pool: CodecPool;
  readonly #options: ChunkStorerOptions;
  readonly #outs: BufferPool;
  /** Whether the last batch with data held only chunks new to the bank. */
  #allNew = true;

  constructor(session: BackupSession, pool: CodecPool, options: ChunkStorerOptions) {
    this.#session = session;
    this.#pool = pool;
    this.#options = options;
    this.#outs = new BufferPool(frameRoom(options.batchChunks, options.batchBytes));
  }

  /**
   * Chunk i of the batch is data[bounds[i], bounds[i+1]). With `skipIds` (32 bytes per chunk), a
   * chunk equal to its skip id is reported as SAME_AS_SKIP_ID and stored only if the bank lacks it.
   */
  async store(data: ArrayBuffer | SharedArrayBuffer, bounds: number[], skipIds?: ArrayBuffer): Promise<StoredBatch> {
    const { type, level, frameBytes } = this.#options;
    // After a batch that was all new (a full backup, new data), the next is hashed and sealed in one
    // trip; the frames are kept if it was all new too, and sealed again without the known chunks if not.
    const early = !skipIds && this.#allNew
      ? await this.#pool.hashSeal({ data, bounds, frameBytes, level, out: this.#outs.take() })
      : undefined;
    const hashed = early ?? await this.#pool.hash({ data, bounds, ...(skipIds ? { skipIds } : {}) });
    const ids = new Uint8Array(hashed.ids), kinds = new Int8Array(hashed.kinds);
    const { select, elsewhere, distinct } = this.#missing(ids, kinds);
    if (distinct > 0) this.#allNew = select.length === distinct;
    const sealedEarly = early !== undefined && select.length > 0 && select.length === distinct;
    if (early && !sealedEarly) this.#outs.give(early.out);
    if (select.length === 0) {
      await Promise.all(elsewhere);
      return { data: hashed.data, ids, kinds, storedBytes: this.#storedBytes(ids, kinds, bounds) };
    }
    let stored!: () => void;
    const storing = new Promise<void>((resolve) => { stored = resolve; });
    const keys = select.map((i) => keyOf(ids, i));
    for (const key of keys) this.#session.inFlight.set(key, storing);
    let sealed;
    try {
      if (sealedEarly) {
        sealed = early; // the worker sealed exactly these: every distinct non-zero chunk, in order
      } else {
        const selected = new Uint8Array(select.length * 32);
        for (const [k, i] of select.entries()) selected.set(ids.subarray(i * 32, i * 32 + 32), k * 32);
        sealed = await this.#pool.seal({ data: hashed.data, bounds, select, ids: selected.buffer, frameBytes, level, out: this.#outs.take() });
      }
      const out = new Uint8Array(sealed.out);
      let k = 0;
      for (let f = 0; f < sealed.frames.length; f += 3) {
        const [offset, length, count] = [sealed.frames[f]!, sealed.frames[f + 1]!, sealed.frames[f + 2]!];
        const members = select.slice(k, k + count).map((i) => ({ id: ids.subarray(i * 32, i * 32 + 32), rawLength: bounds[i + 1]! - bounds[i]! }));
        k += count;
        await this.#session.storeFrame(type, out.subarray(offset, offset + length), members);
      }
    } finally {
      // Indexed now (or failed, which fails the whole backup): the others may go on.
      for (const key of keys) this.#session.inFlight.delete(key);
      stored();
      if (sealed) this.#outs.give(sealed.out); // frames are copied into packs
    }
    await Promise.all(elsewhere);
    return { data: sealed.data, ids, kinds, storedBytes: this.#storedBytes(ids, kinds, bounds) };
  }

  /**
   * The chunks to store: not zero, not in the bank, not being stored by another batch (whose storing
   * is waited for, in `elsewhere`, before their sizes are counted), each id once.
   */
  #missing(ids: Uint8Array, kinds: Int8Array): { select: number[]; elsewhere: Promise<void>[]; distinct: number } {
    const select: number[] = [];
    const elsewhere = new Set<Promise<void>>();
    const seen = new Set<string>();
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] === ZERO_CHUNK) continue;
      const key = keyOf(ids, i);
      if (seen.has(key)) continue;
      seen.add(key);
      if (this.#session.index.has(ids.subarray(i * 32, i * 32 + 32))) continue;
      const other = this.#session.inFlight.get(key);
      if (other) { elsewhere.add(other); continue; }
      select.push(i);
    }
    return { select, elsewhere: [...elsewhere], distinct: seen.size };
  }

  #storedBytes(ids: Uint8Array, kinds: Int8Array, bounds: readonly number[]): number {
    let n = 0;
    for (let i = 0; i < kinds.length; i++) if (kinds[i] !== ZERO_CHUNK) n += this.#session.storedLength(ids.subarray(i * 32, i * 32 + 32), bounds[i + 1]! - bounds[i]!);
    return n;
  }
}

function keyOf(ids: Uint8Array, i: number): string {
  return Buffer.from(ids.buffer, ids.byteOffset + i * 32, 32).toString('latin1');
}
