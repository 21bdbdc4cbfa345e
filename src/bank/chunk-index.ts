/**
 * The in-memory map from chunk id to its place in a pack, for dedup and reads.
 * An open-addressing table in typed arrays: ~60 bytes per chunk instead of several hundred for a
 * Map of strings, so a bank of 8 million chunks (512 GiB of unique 64 KiB blocks) fits in ~512 MB.
 * Ids are keyed HMACs, uniformly distributed: their first bytes are a good hash.
 */
export interface ChunkLocation {
  packId: string;
  offset: number;
  length: number;
}

const ID = 32;

export class ChunkIndex {
  #ids: Uint8Array;
  #loc: Uint32Array; // per slot: packOrdinal + 1 (0 = empty), offset, length
  #mask: number;
  #size = 0;
  readonly #packs: string[] = [];
  readonly #packOrdinals = new Map<string, number>();

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap * 0.7 < expected) cap *= 2;
    this.#ids = new Uint8Array(cap * ID);
    this.#loc = new Uint32Array(cap * 3);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a location; an id already present keeps its first location (both copies are valid). */
  add(id: Uint8Array, packId: string, offset: number, length: number): boolean {
    if ((this.#size + 1) > (this.#mask + 1) * 0.7) this.#grow();
    const slot = this.#find(id);
    if (this.#loc[slot * 3] !== 0) return false;
    let ordinal = this.#packOrdinals.get(packId);
    if (ordinal === undefined) {
      ordinal = this.#packs.push(packId) - 1;
      this.#packOrdinals.set(packId, ordinal);
    }
    this.#ids.set(id.subarray(0, ID), slot * ID);
    this.#loc[slot * 3] = ordinal + 1;
    this.#loc[slot * 3 + 1] = offset;
    this.#loc[slot * 3 + 2] = length;
    this.#size++;
    return true;
  }

  has(id: Uint8Array): boolean {
    return this.#loc[this.#find(id) * 3] !== 0;
  }

  get(id: Uint8Array): ChunkLocation | undefined {
    const slot = this.#find(id);
    const ordinal = this.#loc[slot * 3]!;
    if (ordinal === 0) return undefined;
    return { packId: this.#packs[ordinal - 1]!, offset: this.#loc[slot * 3 + 1]!, length: this.#loc[slot * 3 + 2]! };
  }

  /** Every pack that holds at least one indexed chunk. */
  packIds(): string[] {
    return [...this.#packs];
  }

  #find(id: Uint8Array): number {
    const ids = this.#ids;
    let slot = ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0) & this.#mask;
    for (;;) {
      if (this.#loc[slot * 3] === 0) return slot;
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
    this.#loc = new Uint32Array(oldCap * 2 * 3);
    this.#mask = oldCap * 2 - 1;
    for (let s = 0; s < oldCap; s++) {
      if (oldLoc[s * 3] === 0) continue;
      const id = oldIds.subarray(s * ID, s * ID + ID);
      const slot = this.#find(id);
      this.#ids.set(id, slot * ID);
      this.#loc.set(oldLoc.subarray(s * 3, s * 3 + 3), slot * 3);
    }
  }
}
