/**
 * Chunks: id = HMAC-SHA256(idKey, plaintext). Chunks are stored in frames (frame.ts); a reader
 * re-computes the id of every chunk it uses, so bytes that are not what their id names never pass.
 * Pure functions of their inputs: they run in worker threads.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CairnError } from '../core/errors.ts';
import { secretKey } from './secret-key.ts';

export const CHUNK_ID_BYTES = 32;

export function chunkId(idKey: Uint8Array, plaintext: Uint8Array): Buffer {
  return createHmac('sha256', secretKey(idKey)).update(plaintext).digest();
}

/** Throws 'corrupt' unless `plaintext` is the chunk `id` names. */
export function checkChunk(idKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array): void {
  if (!timingSafeEqual(chunkId(idKey, plaintext), id)) throw new CairnError('corrupt', `chunk ${Buffer.from(id).toString('hex')} does not match its id`);
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
