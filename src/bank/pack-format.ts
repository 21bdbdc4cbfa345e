/**
 * Packs: many chunk envelopes in one object, so a TiB of unique data is ~65,000 objects of 16 MiB
 * instead of millions of chunk-sized ones.
 *
 *   pack     := envelope* header trailer
 *   header   := envelope(context "cairn:pack-header:<packId>", zstd allowed) of entry*
 *   entry    := type:u8 (0 data, 1 meta) | id:32 | offset:u32le | length:u32le | rawLength:u32le
 *   trailer  := headerLength:u32le | "CRNP"
 *
 * The header makes every pack self-describing: the bank's index can be rebuilt from packs alone.
 */
import { contextOf, sealCompressed } from './envelope.ts';

export const PACK_MAGIC = Buffer.from('CRNP');
export const PACK_TRAILER_BYTES = 8;
export const PACK_ENTRY_BYTES = 45;

export type ChunkType = 'data' | 'meta';

export interface PackEntry {
  type: ChunkType;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
}

export function packKey(packId: string): string {
  return `packs/${packId.slice(0, 2)}/${packId}`;
}

export function packIdFromKey(key: string): string | undefined {
  const m = /^packs\/[0-9a-f]{2}\/([0-9a-f]{32})$/.exec(key);
  return m?.[1];
}

export function encodeEntries(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * PACK_ENTRY_BYTES);
  let o = 0;
  for (const e of entries) {
    out[o] = e.type === 'data' ? 0 : 1;
    e.id.copy(out, o + 1);
    out.writeUInt32LE(e.offset, o + 33);
    out.writeUInt32LE(e.length, o + 37);
    out.writeUInt32LE(e.rawLength, o + 41);
    o += PACK_ENTRY_BYTES;
  }
  return out;
}

/** `entries` as encodeEntries gives them. */
export function sealPackHeader(dataKey: Uint8Array, packId: string, entries: Buffer): Buffer {
  const header = sealCompressed(dataKey, contextOf(`cairn:pack-header:${packId}`), entries);
  const trailer = Buffer.allocUnsafe(PACK_TRAILER_BYTES);
  trailer.writeUInt32LE(header.length, 0);
  PACK_MAGIC.copy(trailer, 4);
  return Buffer.concat([header, trailer]);
}
