/**
 * The in-memory map from chunk id to the frame that holds it, for dedup and reads.
 * An open-addressing table in typed arrays instead of several hundred bytes per chunk for a Map of
 * strings. A slot holds the id's first 16 bytes and the number of its frame, 20 bytes, at a load factor
 * of up to 0.92; the frame's location (pack, offset, length, raw bytes) is kept once per frame, 16
 * bytes shared by its chunks. A full image backup puts sixteen 64 KiB blocks in a frame, so a chunk
 * costs ~23 bytes (26 measured by bench/index-memory.ts), and 1 TiB of them ~390 MB; a frame of one chunk costs 38.
 * Callers that know roughly how many chunks come say so, and the table fills without doubling.
 *
 * Ids are keyed HMACs, uniformly distributed: their first bytes are a good hash, and 128 of their
 * bits identify a chunk. Two distinct chunks of one bank agree on those bits with a probability of
 * about n²/2^129 (below 10^-24 for a TiB of 64 KiB blocks); even then nothing is silently wrong for a
 * reader, which re-hashes every chunk it gets (the mismatch fails loudly), while a writer would take the
 * second chunk for the first — the same trust every content-addressed store puts in its hash.
 */
export interface ChunkLocation {
  packId: string;
  /** The frame's place in the pack. */
  offset: number;
  length: number;
  /** The plaintext bytes of all the frame's chunks, to split its stored bytes among them (shareOf). */
  frameRaw: number;
}

/** 32-bit words per slot: 4 of id prefix, then frame number + 1 (0 = empty; top bits: MARK, WALKED). */
const W = 5;
/** 32-bit words per frame: pack ordinal, offset, length, raw bytes. */
const F = 4;
const MARK = 0x8000_0000;
const WALKED = 0x4000_0000;
const FLAGS = MARK | WALKED;
/** Frame numbers + 1 stay below the flag bits: a billion frames, a table of tens of GB. */
const MAX_FRAMES = WALKED - 1;
// A table sized up front from the index objects' size is filled to a little less than this (the estimate
// counts 32 bytes per entry, an entry takes more). Measured by bench/index-memory.ts (5 M chunks, 20-byte
// slots, alternating runs): 0.85 27.7 bytes per chunk and 354-370 ms per million lookups of absent ids,
// 0.9 26.0-26.4 and 363-383 ms, 0.92 25.9 and 366 ms, 0.95 24.9 and 523 ms (long probe runs begin).
// 0.92: opening a bank of 1 TiB of 64 KiB blocks 539 -> 508 MB (bench/large-bank.ts).
const LOAD = 0.92;
/** Bytes per chunk of a table sized up front whose frames hold `perFrame` chunks (benchmarks project memory with it). */
export const tableBytesPerChunk = (perFrame: number): number => (W * 4) / LOAD + (F * 4) / perFrame;

export class ChunkIndex {
  #slots: Uint32Array;
  #cap: number;
  #size = 0;
  #frames: Uint32Array;
  #frameCount = 0;
  readonly #packs: string[] = [];
  readonly #packOrdinals = new Map<string, number>();
  readonly #sortCounts = new Uint32Array(1 << 16);
  #order = new Uint32Array(0);

  /** `expected`: how many chunks will be added, if known (an estimate is fine: the table grows past it). */
  constructor(expected = 0) {
    const known = Number.isFinite(expected) ? expected : 0;
    this.#cap = Math.max(1024, Math.ceil(known / LOAD));
    this.#slots = new Uint32Array(this.#cap * W);
    // Sixteen chunks to a frame in full image backups, one in scattered changes or large file chunks:
    // start at the former and grow by half as needed (a copy of this smaller array only).
    this.#frames = new Uint32Array(Math.max(256, Math.ceil(known / 16)) * F);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Adds a location; an id already present keeps its first location (both copies are valid). The
   * chunks of one frame are added one after another, with the same pack, offset, length and frameRaw.
   */
  add(id: Uint8Array, packId: string, offset: number, length: number, frameRaw: number): boolean {
    if ((this.#size + 1) > this.#cap * LOAD) this.#grow();
    const at = this.#find(id) * W;
    const s = this.#slots;
    if (s[at + 4] !== 0) return false;
    s[at] = word(id, 0);
    s[at + 1] = word(id, 4);
    s[at + 2] = word(id, 8);
    s[at + 3] = word(id, 12);
    s[at + 4] = this.frameOf(packId, offset, length, frameRaw) + 1;
    this.#size++;
    return true;
  }

  /**
   * Adds the entries of an index object at once: `ids` holds their first 16 bytes as four
   * little-endian words each, `frames` the frame each belongs to (from frameOf, called in the
   * object's order). They go into the table in the order of their home slots, so loading a large
   * bank walks its table from low addresses to high instead of jumping at random: each insert then
   * finds its page mapped and its cache lines near, where a random one costs a TLB miss and a cache
   * miss (measured on a 1 TiB bank: ~580 ns per entry at random). Returns how many were new. An id
   * already present keeps its first location, as with add(); a frame none of whose ids was new stays
   * in the frame list unused (16 bytes; only overlapping index objects have such duplicates).
   */
  addMany(ids: Uint32Array, frames: Uint32Array, count: number): number {
    while (this.#size + count > this.#cap * LOAD) this.#grow();
    // Home slots grow with the id's first word: a counting sort on its top 16 bits orders them.
    const counts = this.#sortCounts.fill(0);
    for (let i = 0; i < count; i++) counts[ids[i * 4]! >>> 16]!++;
    let sum = 0;
    for (let b = 0; b < counts.length; b++) { const c = counts[b]!; counts[b] = sum; sum += c; }
    const order = this.#order.length >= count ? this.#order : (this.#order = new Uint32Array(count));
    for (let i = 0; i < count; i++) order[counts[ids[i * 4]! >>> 16]!++] = i;
    const s = this.#slots;
    let added = 0;
    for (let k = 0; k < count; k++) {
      const i = order[k]! * 4;
      const at = this.#findWords(ids[i]!, ids[i + 1]!, ids[i + 2]!, ids[i + 3]!) * W;
      if (s[at + 4] !== 0) continue;
      s[at] = ids[i]!;
      s[at + 1] = ids[i + 1]!;
      s[at + 2] = ids[i + 2]!;
      s[at + 3] = ids[i + 3]!;
      s[at + 4] = frames[order[k]!]! + 1;
      added++;
    }
    this.#size += added;
    return added;
  }

  has(id: Uint8Array): boolean {
    return this.#slots[this.#find(id) * W + 4] !== 0;
  }

  get(id: Uint8Array): ChunkLocation | undefined {
    const frame = this.#slots[this.#find(id) * W + 4]! & ~FLAGS;
    if (frame === 0) return undefined;
    const f = this.#frames, at = (frame - 1) * F;
    return { packId: this.#packs[f[at]!]!, offset: f[at + 1]!, length: f[at + 2]!, frameRaw: f[at + 3]! };
  }

  /** Marks a chunk (GC's mark phase, without a second table); false if the index lacks it or it was marked. */
  mark(id: Uint8Array): boolean {
    return this.#setFlag(id, MARK);
  }

  isMarked(id: Uint8Array): boolean {
    return (this.#slots[this.#find(id) * W + 4]! & MARK) !== 0;
  }

  /**
   * Records that an index page's entries were walked (GC's mark phase reads each distinct page once).
   * A bit of its own, not MARK: a data chunk with the same bytes as a page would be marked without
   * its entries having been walked. False if the index lacks the id or it was recorded already.
   */
  markWalked(id: Uint8Array): boolean {
    return this.#setFlag(id, WALKED);
  }

  /** Every pack that holds at least one indexed chunk. */
  packIds(): string[] {
    return [...this.#packs];
  }

  /** Sets a flag bit of the id's slot; false if the index lacks the id or the bit was set. */
  #setFlag(id: Uint8Array, flag: number): boolean {
    const at = this.#find(id) * W + 4;
    const s = this.#slots;
    if (s[at] === 0 || (s[at]! & flag) !== 0) return false;
    s[at] = (s[at]! | flag) >>> 0;
    return true;
  }

  /**
   * The number of the frame at this place (for addMany): the last frame if the chunk belongs to it
   * (a frame's chunks come one after another), else a new one.
   */
  frameOf(packId: string, offset: number, length: number, frameRaw: number): number {
    let ordinal = this.#packOrdinals.get(packId);
    if (ordinal === undefined) {
      ordinal = this.#packs.push(packId) - 1;
      this.#packOrdinals.set(packId, ordinal);
    }
    let f = this.#frames;
    const last = (this.#frameCount - 1) * F;
    if (this.#frameCount > 0 && f[last] === ordinal && f[last + 1] === offset) return this.#frameCount - 1;
    if (this.#frameCount >= MAX_FRAMES) throw new Error('the chunk table is full (a billion frames)');
    if ((this.#frameCount + 1) * F > f.length) {
      f = new Uint32Array(Math.ceil(f.length / F * 1.5) * F);
      f.set(this.#frames);
      this.#frames = f;
    }
    const at = this.#frameCount * F;
    f[at] = ordinal;
    f[at + 1] = offset;
    f[at + 2] = length;
    f[at + 3] = frameRaw;
    return this.#frameCount++;
  }

  #find(id: Uint8Array): number {
    const w0 = word(id, 0), w1 = word(id, 4), w2 = word(id, 8), w3 = word(id, 12);
    return this.#findWords(w0, w1, w2, w3);
  }

  #findWords(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.#slots, cap = this.#cap;
    // The id's first word scaled to the table (any size, not only powers of two: sized to fit, it wastes less).
    for (let slot = Math.min(cap - 1, Math.floor((w0 / 0x1_0000_0000) * cap)); ; slot = slot + 1 === cap ? 0 : slot + 1) {
      const at = slot * W;
      if (s[at + 4] === 0 || (s[at] === w0 && s[at + 1] === w1 && s[at + 2] === w2 && s[at + 3] === w3)) return slot;
    }
  }

  #grow(): void {
    const old = this.#slots, oldCap = this.#cap;
    this.#cap = oldCap * 2;
    this.#slots = new Uint32Array(this.#cap * W);
    for (let at = 0; at < oldCap * W; at += W) {
      if (old[at + 4] === 0) continue;
      const slot = this.#findWords(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!);
      this.#slots.set(old.subarray(at, at + W), slot * W);
    }
  }
}

/** The little-endian 32-bit word of `id` at `i` (an unsigned number, as Uint32Array stores it). */
function word(id: Uint8Array, i: number): number {
  return (id[i]! | (id[i + 1]! << 8) | (id[i + 2]! << 16) | (id[i + 3]! << 24)) >>> 0;
}
