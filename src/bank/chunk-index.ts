/**
 * The in-memory map from chunk id to the frame that holds it, for dedup and reads.
 * An open-addressing table in typed arrays (48 bytes a slot, at a load factor of 0.35 to 0.7) instead
 * of several hundred bytes per chunk for a Map of strings.
 * Ids are keyed HMACs, uniformly distributed: their first bytes are a good hash.
 */
export interface ChunkLocation {
  packId: string;
  /** The frame's place in the pack. */
  offset: number;
  length: number;
  /** The chunk's share of the frame's bytes, for accounting. */
  stored: number;
}

const ID = 32;
/** Location fields per slot. */
const F = 4;

export class ChunkIndex {
  #ids: Uint8Array;
  #loc: Uint32Array; // per slot: packOrdinal + 1 (0 = empty), offset, length, stored
  #mask: number;
  #size = 0;
  readonly #packs: string[] = [];
  readonly #packOrdinals = new Map<string, number>();

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap * 0.7 < expected) cap *= 2;
    this.#ids = new Uint8Array(cap * ID);
    this.#loc = new Uint32Array(cap * F);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a location; an id already present keeps its first location (both copies are valid). */
  add(id: Uint8Array, packId: string, offset: number, length: number, stored: number): boolean {
    if ((this.#size + 1) > (this.#mask + 1) * 0.7) this.#grow();
    const slot = this.#find(id);
    if (this.#loc[slot * F] !== 0) return false;
    let ordinal = this.#packOrdinals.get(packId);
    if (ordinal === undefined) {
      ordinal = this.#packs.push(packId) - 1;
      this.#packOrdinals.set(packId, ordinal);
    }
    this.#ids.set(id.subarray(0, ID), slot * ID);
    this.#loc[slot * F] = ordinal + 1;
    this.#loc[slot * F + 1] = offset;
    this.#loc[slot * F + 2] = length;
    this.#loc[slot * F + 3] = stored;
    this.#size++;
    return true;
  }

  has(id: Uint8Array): boolean {
    return this.#loc[this.#find(id) * F] !== 0;
  }

  get(id: Uint8Array): ChunkLocation | undefined {
    const slot = this.#find(id);
    const ordinal = this.#loc[slot * F]!;
    if (ordinal === 0) return undefined;
    const loc = this.#loc;
    return { packId: this.#packs[ordinal - 1]!, offset: loc[slot * F + 1]!, length: loc[slot * F + 2]!, stored: loc[slot * F + 3]! };
  }

  /** Every pack that holds at least one indexed chunk. */
  packIds(): string[] {
    return [...this.#packs];
  }

  #find(id: Uint8Array): number {
    const ids = this.#ids;
    let slot = ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0) & this.#mask;
    for (;;) {
      if (this.#loc[slot * F] === 0) return slot;
      const base = slot * ID;
      let same = true;
      for (let i = 0; i < ID; i++) {
        if (ids[base + i] !== id[i]) { same = false; break; }
      }
      if (same) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  #grow(): void {
    const oldIds = this.#ids, oldLoc = this.#loc, oldCap = this.#mask + 1;
    this.#ids = new Uint8Array(oldCap * 2 * ID);
    this.#loc = new Uint32Array(oldCap * 2 * F);
    this.#mask = oldCap * 2 - 1;
    for (let s = 0; s < oldCap; s++) {
      if (oldLoc[s * F] === 0) continue;
      const id = oldIds.subarray(s * ID, s * ID + ID);
      const slot = this.#find(id);
      this.#ids.set(id, slot * ID);
      this.#loc.set(oldLoc.subarray(s * F, s * F + F), slot * F);
    }
  }
}
