/**
 * Content-defined chunking (FastCDC-style: gear rolling hash, cut-point skipping, normalized
 * chunking). Cut points depend only on content, so an insertion moves the cuts near it and no
 * others, and unchanged data outside the edit yields the same chunks (and chunk ids) again.
 *
 * Restoring never needs this module: a checkpoint lists its chunks. A second writer to the same bank
 * does, to produce the same chunks for the same data, so the algorithm below is part of the bank
 * format and is specified precisely enough to reimplement.
 *
 * Gear table (`createGearTable`). Input: a 32-byte key (the bank's gear key, `gearKey()` in
 * bank/keys.ts: HMAC-SHA256(idKey, "cairn-gear-v1")). For c = 0..31:
 *   block_c = HMAC-SHA256(key, ASCII "cairn-gear-table-v1" || one byte c)
 *   gear[8c + j] = big-endian uint32 of block_c[4j .. 4j+4), j = 0..7
 * A bank-secret table means cut points do not fingerprint the same data across banks.
 *
 * Fingerprint. All arithmetic is modulo 2^32. Over bytes d[], the fingerprint after byte k is
 *   W(k) = sum over j = 0..31 of gear[d[k - j]] * 2^j
 * computed as h = (h << 1) + gear[byte]: each byte shifts out after 32 more bytes, so bit b of W
 * depends on the last b + 1 bytes and the top bit on the last 32. The masks therefore select the
 * high bits, so every cut test sees the whole 32-byte window.
 *
 * Parameters: minSize, avgSize, maxSize with avgSize = 2^bits a power of two,
 * 64 <= minSize < avgSize < maxSize <= 2^30. Normalization level 2 (FastCDC's NC2):
 *   maskS = the top (bits + 2) bits set  (harder: used while the chunk is at most avgSize long)
 *   maskL = the top (bits - 2) bits set  (easier: used once it is longer)
 *
 * Cut rule. A chunk starting at offset s has length L, the smallest value in [minSize, maxSize]
 * such that, with k = s + L - 1 (its last byte),
 *   (W(k) & maskS) == 0  if L <= avgSize,   (W(k) & maskL) == 0  if L > avgSize;
 * if none qualifies, L = maxSize. Near the end of the data, L is bounded by what remains: when no
 * L <= remaining qualifies, the last chunk is the rest (possibly shorter than minSize). The window
 * of W(k) lies inside the chunk since minSize >= 64 > 32. The next chunk starts at s + L. Only bytes
 * from s + minSize - 32 on are hashed (cut-point skipping).
 */
import { createHmac } from 'node:crypto';
import { CairnError } from '../core/errors.ts';

export interface CdcParams {
  /** 256 entries from `createGearTable`. */
  gear: Uint32Array;
  minSize: number;
  /** A power of two: where the mask switches, not the mean (with minSize = avgSize / 4 the mean is about 1.2 × avgSize). */
  avgSize: number;
  maxSize: number;
}

const GEAR_LABEL = 'cairn-gear-table-v1';
const WINDOW = 32;

/** The gear table for a 32-byte key; see the module comment for the derivation. */
export function createGearTable(key: Uint8Array): Uint32Array {
  if (key.length !== 32) throw new CairnError('bad-input', `the gear key must be 32 bytes, not ${key.length}`);
  const gear = new Uint32Array(256);
  for (let c = 0; c < 32; c++) {
    const block = createHmac('sha256', key).update(GEAR_LABEL).update(Uint8Array.of(c)).digest();
    for (let j = 0; j < 8; j++) gear[8 * c + j] = block.readUInt32BE(4 * j);
  }
  return gear;
}

function topBits(n: number): number {
  return (0xffffffff << (32 - n)) | 0;
}

/**
 * Finds chunk boundaries. Stateless between calls: a cut, once found, depends only on the bytes
 * before it, so a caller holding a partial buffer keeps the unconsumed tail and presents it again
 * with the next read appended.
 *
 * @example
 * const chunker = new CdcChunker({ gear: createGearTable(key), minSize: 256 << 10, avgSize: 1 << 20, maxSize: 4 << 20 });
 * for await (const chunk of chunkStream(file.readableWebStream(), chunker)) store(chunk);
 */
export class CdcChunker {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  /** The gear table viewed as int32, so the hot loop stays in small-integer arithmetic. */
  readonly #gear: Int32Array;
  readonly #maskS: number;
  readonly #maskL: number;

  constructor(params: CdcParams) {
    const { gear, minSize, avgSize, maxSize } = params;
    const bits = Math.log2(avgSize);
    if (gear.length !== 256) throw new CairnError('bad-input', 'the gear table must have 256 entries');
    if (!Number.isInteger(bits) || bits < 8 || bits > 28) throw new CairnError('bad-input', `avgSize must be a power of two between 256 B and 256 MiB, not ${avgSize}`);
    if (!Number.isInteger(minSize) || minSize < 2 * WINDOW || minSize >= avgSize) throw new CairnError('bad-input', `minSize must be an integer in [64, avgSize), not ${minSize}`);
    if (!Number.isInteger(maxSize) || maxSize <= avgSize || maxSize > 2 ** 30) throw new CairnError('bad-input', `maxSize must be an integer in (avgSize, 1 GiB], not ${maxSize}`);
    this.minSize = minSize;
    this.avgSize = avgSize;
    this.maxSize = maxSize;
    this.#gear = new Int32Array(gear.buffer, gear.byteOffset, 256);
    this.#maskS = topBits(bits + 2);
    this.#maskL = topBits(bits - 2);
  }

  /**
   * The length of the chunk starting at `start`, looking only at buf[start, end). A result shorter
   * than `maxSize` that equals `end - start` means no cut was found: it is the final chunk only if
   * no more data follows; otherwise call again once more data is buffered.
   */
  findCut(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n <= this.minSize) return n;
    const limit = start + Math.min(n, this.maxSize);
    const normal = start + Math.min(n, this.avgSize);
    const gear = this.#gear;
    const maskS = this.#maskS;
    const maskL = this.#maskL;
    let i = start + this.minSize - WINDOW;
    let h = 0;
    // Warm up on the 31 bytes before the first candidate's last byte.
    for (const warm = i + WINDOW - 1; i < warm; i++) h = ((h << 1) + gear[buf[i]!]!) | 0;
    for (; i < normal; i++) {
      h = ((h << 1) + gear[buf[i]!]!) | 0;
      if ((h & maskS) === 0) return i + 1 - start;
    }
    for (; i < limit; i++) {
      h = ((h << 1) + gear[buf[i]!]!) | 0;
      if ((h & maskL) === 0) return i + 1 - start;
    }
    return limit - start;
  }

  /**
   * The end offsets of the chunks found in `buf`, in order. With `more` true (data follows), a tail
   * without a cut is left out: keep buf.subarray(last offset) and present it again in front of the next
   * read. Rescanning that tail costs time, so present at least `maxSize` bytes per call when possible.
   * With `more` false, the last offset is buf.length (none for an empty buffer).
   */
  cuts(buf: Uint8Array, more: boolean): number[] {
    const out: number[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const len = this.findCut(buf, pos, buf.length);
      if (more && len < this.maxSize && pos + len === buf.length) break;
      pos += len;
      out.push(pos);
    }
    return out;
  }
}

/**
 * Splits a stream into chunks, each a fresh copy (safe to keep or transfer to a worker). The buffer
 * grows with need up to 2 × maxSize, whatever sizes the source yields, so small files stay cheap.
 */
export async function* chunkStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunker: CdcChunker): AsyncGenerator<Uint8Array> {
  const { maxSize } = chunker;
  const capacity = 2 * maxSize;
  let buf = new Uint8Array(Math.min(capacity, 64 << 10));
  let len = 0;
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      if (len === buf.length) {
        const grown = new Uint8Array(Math.min(capacity, 2 * buf.length));
        grown.set(buf.subarray(0, len));
        buf = grown;
      }
      const n = Math.min(piece.length - off, buf.length - len);
      buf.set(piece.subarray(off, off + n), len);
      len += n;
      off += n;
      if (len < capacity) continue;
      // Full: every chunk starting at most len - maxSize is decided.
      let pos = 0;
      while (len - pos >= maxSize) {
        const cut = chunker.findCut(buf, pos, len);
        yield buf.slice(pos, pos + cut);
        pos += cut;
      }
      buf.copyWithin(0, pos, len);
      len -= pos;
    }
  }
  let pos = 0;
  while (pos < len) {
    const cut = chunker.findCut(buf, pos, len);
    yield buf.slice(pos, pos + cut);
    pos += cut;
  }
}
