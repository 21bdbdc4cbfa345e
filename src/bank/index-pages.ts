/**
 * Pages of checkpoint indexes. Pages are meta chunks, so an incremental whose page is unchanged
 * produces the same chunk id and stores nothing: only pages that changed are written.
 *
 *   fixed page   := id:32 * n           (32 zero bytes mark a zero or unallocated block)
 *   dynamic page := (id:32 | size:u32le) * n
 */
import { CairnError } from '../core/errors.ts';

export const ZERO_ID = Buffer.alloc(32);
export const DYNAMIC_ENTRY_BYTES = 36;

export function isZeroId(buf: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 32; i++) if (buf[offset + i] !== 0) return false;
  return true;
}

export function checkFixedPage(page: Buffer, expectedEntries: number, what: string): Buffer {
  if (page.length !== expectedEntries * 32) throw new CairnError('corrupt', `${what}: page holds ${page.length / 32} entries, expected ${expectedEntries}`);
  return page;
}

export interface DynamicEntry {
  id: Buffer;
  size: number;
}

export function encodeDynamicPage(entries: readonly DynamicEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * DYNAMIC_ENTRY_BYTES);
  entries.forEach((e, i) => {
    e.id.copy(out, i * DYNAMIC_ENTRY_BYTES);
    out.writeUInt32LE(e.size, i * DYNAMIC_ENTRY_BYTES + 32);
  });
  return out;
}

export function decodeDynamicPage(page: Buffer, what: string): DynamicEntry[] {
  if (page.length % DYNAMIC_ENTRY_BYTES !== 0) throw new CairnError('corrupt', `${what}: dynamic page has a partial entry`);
  const entries: DynamicEntry[] = [];
  for (let o = 0; o < page.length; o += DYNAMIC_ENTRY_BYTES) {
    entries.push({ id: page.subarray(o, o + 32), size: page.readUInt32LE(o + 32) });
  }
  return entries;
}
