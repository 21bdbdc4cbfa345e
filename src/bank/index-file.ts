/**
 * Index objects, `index/<32 hex>`: where each chunk lives. A writer publishes index objects for the
 * packs it wrote, each after the packs it names are durable, all before any manifest refers to them.
 *
 *   plaintext := (packId:16 | count:u32le | entry*count)*      (entry as in pack headers)
 *   object    := envelope(context "cairn:index:<name>", zstd allowed) of plaintext
 */
import { randomBytes } from 'node:crypto';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { contextOf, openDecompressed, sealCompressed } from './envelope.ts';
import { PACK_ENTRY_BYTES } from './pack-format.ts';

/** A pack and its entries, encoded as in its header (45 bytes each): a quarter of what objects take. */
export interface IndexedPack {
  packId: string;
  entries: Buffer;
}

export function newIndexName(): string {
  return randomBytes(16).toString('hex');
}

export function indexKey(name: string): string {
  return `index/${name}`;
}

export function sealIndex(dataKey: Uint8Array, name: string, packs: readonly IndexedPack[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of packs) {
    const head = Buffer.allocUnsafe(20);
    Buffer.from(p.packId, 'hex').copy(head, 0);
    head.writeUInt32LE(p.entries.length / PACK_ENTRY_BYTES, 16);
    parts.push(head, p.entries);
  }
  return sealCompressed(dataKey, contextOf(`cairn:index:${name}`), Buffer.concat(parts));
}

/**
 * Calls `add` for every entry without building objects, not even a view of its id: loading a large
 * bank's index this way costs the compact table only. The id is the 32 bytes of `entries` at `idAt`;
 * `entries` is freed when this returns, so copy what you keep. `frameRaw` is the plaintext size of
 * the entry's frame (the members of a frame are consecutive entries with the same offset).
 */
export function forEachIndexEntry(dataKey: Uint8Array, name: string, object: Uint8Array, add: (packId: string, entries: Buffer, idAt: number, offset: number, length: number, frameRaw: number) => void): void {
  const what = `index ${name}`;
  const buf = openDecompressed(dataKey, contextOf(`cairn:index:${name}`), object, what);
  let o = 0;
  while (o < buf.length) {
    if (o + 20 > buf.length) throw new CairnError('corrupt', `${what} ends inside a pack record`);
    const packId = buf.subarray(o, o + 16).toString('hex');
    const end = o + 20 + buf.readUInt32LE(o + 16) * PACK_ENTRY_BYTES;
    if (end > buf.length) throw new CairnError('corrupt', `${what} ends inside the entries of pack ${packId}`);
    for (let e = o + 20; e < end;) {
      const offset = buf.readUInt32LE(e + 33), length = buf.readUInt32LE(e + 37);
      let frameEnd = e, raw = 0;
      for (; frameEnd < end && buf.readUInt32LE(frameEnd + 33) === offset; frameEnd += PACK_ENTRY_BYTES) {
        if (buf[frameEnd]! > 1) throw new CairnError('corrupt', `${what}: unknown chunk type ${buf[frameEnd]}`);
        raw += buf.readUInt32LE(frameEnd + 41);
      }
      for (; e < frameEnd; e += PACK_ENTRY_BYTES) {
        add(packId, buf, e + 1, offset, length, raw);
      }
    }
    o = end;
  }
  freeNow(buf); // see the function's comment: nothing may keep the ids
}

export function openIndex(dataKey: Uint8Array, name: string, object: Uint8Array): IndexedPack[] {
  const what = `index ${name}`;
  const buf = openDecompressed(dataKey, contextOf(`cairn:index:${name}`), object, what);
  const packs: IndexedPack[] = [];
  let o = 0;
  while (o < buf.length) {
    if (o + 20 > buf.length) throw new CairnError('corrupt', `${what} ends inside a pack record`);
    const packId = buf.subarray(o, o + 16).toString('hex');
    const count = buf.readUInt32LE(o + 16);
    const end = o + 20 + count * PACK_ENTRY_BYTES;
    if (end > buf.length) throw new CairnError('corrupt', `${what} ends inside the entries of pack ${packId}`);
    for (let e = o + 20; e < end; e += PACK_ENTRY_BYTES) {
      if (buf[e]! > 1) throw new CairnError('corrupt', `${what}: unknown chunk type ${buf[e]}`);
    }
    packs.push({ packId, entries: buf.subarray(o + 20, end) });
    o = end;
  }
  return packs;
}

/** The id of each entry of a pack (views into `entries`). */
export function* entryIds(entries: Buffer): Generator<Buffer> {
  for (let e = 0; e < entries.length; e += PACK_ENTRY_BYTES) yield entries.subarray(e + 1, e + 33);
}
