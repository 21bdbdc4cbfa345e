/**
 * Chunks: id = HMAC-SHA256(idKey, plaintext); the plaintext is zstd-compressed when that makes it
 * smaller, then sealed in an envelope whose context is the id. Decoding re-computes the id from the
 * plaintext, so a chunk that decrypts but is not the data its id names is still caught.
 * Pure functions of their inputs: they run in worker threads.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { ENVELOPE_OVERHEAD, FLAG_ZSTD, open, sealInto } from './envelope.ts';
import { compressBound, compressInto, decompress } from './zstd.ts';

export const CHUNK_ID_BYTES = 32;

export function chunkId(idKey: Uint8Array, plaintext: Uint8Array): Buffer {
  return createHmac('sha256', idKey).update(plaintext).digest();
}

export function encodeChunk(dataKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array, level: number): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + ENVELOPE_OVERHEAD);
  return out.subarray(0, encodeChunkInto(dataKey, id, plaintext, level, out, 0));
}

/** Encodes into `target` at `at`, which needs plaintext.length + ENVELOPE_OVERHEAD bytes; returns the envelope length. */
export function encodeChunkInto(dataKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array, level: number, target: Uint8Array, at: number): number {
  if (level > 0) {
    const packed = scratch(compressBound(plaintext.length));
    const n = compressInto(plaintext, level, packed);
    if (n < plaintext.length) return sealInto(dataKey, id, packed.subarray(0, n), FLAG_ZSTD, target, at);
  }
  return sealInto(dataKey, id, plaintext, 0, target, at);
}

/** The largest chunk plaintext a reader accepts: CDC chunks are at most 4 MiB, image blocks far less. */
const MAX_CHUNK_BYTES = 16 << 20;

export function decodeChunk(keys: { dataKey: Uint8Array; idKey: Uint8Array }, id: Uint8Array, envelope: Uint8Array): Buffer {
  const hex = Buffer.from(id).toString('hex');
  const { plaintext, flags } = open(keys.dataKey, id, envelope, `chunk ${hex}`);
  let data = plaintext;
  if (flags & FLAG_ZSTD) {
    data = decompress(plaintext, MAX_CHUNK_BYTES, `chunk ${hex}`);
    freeNow(plaintext);
  }
  if (!timingSafeEqual(chunkId(keys.idKey, data), id)) throw new CairnError('corrupt', `chunk ${hex} does not match its id`);
  return data;
}

/** One compression output buffer per thread, grown to the largest chunk seen: sealing copies out of it. */
let scratchBuffer = Buffer.alloc(0);
function scratch(size: number): Buffer {
  if (scratchBuffer.length < size) scratchBuffer = Buffer.allocUnsafeSlow(size);
  return scratchBuffer;
}

export function isAllZero(buf: Uint8Array): boolean {
  // Compare against a shared zero page: memcmp speed without allocating per call.
  for (let off = 0; off < buf.length; off += ZERO.length) {
    const n = Math.min(ZERO.length, buf.length - off);
    if (Buffer.compare(buf.subarray(off, off + n), n === ZERO.length ? ZERO : ZERO.subarray(0, n)) !== 0) return false;
  }
  return true;
}
const ZERO = Buffer.alloc(256 * 1024);
