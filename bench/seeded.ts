// Deterministic randomness: a data set rebuilt from the same parameters gets the same offsets,
// the same choice of files and the same "random" bytes, so runs on different days compare.
import { createCipheriv, createHash } from 'node:crypto';

/** A uniform generator in [0, 1) (mulberry32); plenty for picking offsets and files. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Incompressible bytes that depend only on `seed`: an AES-CTR keystream (fast, unlike a JS PRNG). */
export function seededBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** A seeded Fisher–Yates shuffle of 0..n-1. */
export function seededPermutation(seed: string, n: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? j, order[i] ?? i];
  }
  return order;
}
