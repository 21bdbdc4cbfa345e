/**
 * Memory of the in-memory chunk table (src/bank/chunk-index.ts) as a bank grows: fills one with N
 * chunk ids, sized up front as Bank.loadIndex sizes it (or not, with --unsized), and prints the RSS it
 * took per chunk and the cost of lookups of absent ids (a full backup's dedup question).
 *
 * Chunks come sixteen to a frame, as a full image backup stores 64 KiB blocks (--per-frame N to change).
 *
 *   node bench/index-memory.ts [chunks, default 5000000] [--unsized] [--per-frame N]
 */
import { randomBytes } from 'node:crypto';
import { ChunkIndex } from '../src/bank/chunk-index.ts';

const chunks = Number(process.argv.find((a, i) => /^\d+$/.test(a) && process.argv[i - 1] !== '--per-frame') ?? 5_000_000);
const sized = !process.argv.includes('--unsized');
const perFrameArg = process.argv.indexOf('--per-frame');
const perFrame = perFrameArg > 0 ? Number(process.argv[perFrameArg + 1]) : 16;
const id = Buffer.alloc(32);
const seed = randomBytes(32);
const fill = (n: number, salt: number): Buffer => {
  // Distinct, uniformly spread ids, as keyed hashes are, without hashing millions of times.
  seed.copy(id);
  id.writeUInt32LE(Math.imul(n ^ salt, 2654435761) >>> 0, 0);
  id.writeUInt32LE(n, 4);
  id.writeUInt32LE(salt, 8);
  return id;
};
const packs = Array.from({ length: Math.ceil(chunks / 256) }, (_, i) => i.toString(16).padStart(32, '0'));

global.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const start = performance.now();
const index = new ChunkIndex(sized ? chunks : 0);
for (let n = 0; n < chunks; n++) {
  const frame = Math.floor((n & 255) / perFrame);
  index.add(fill(n, 0), packs[n >> 8]!, frame << 20, 1 << 20, perFrame * 65_536);
  if ((n & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
peak = Math.max(peak, process.memoryUsage().rss);
const built = performance.now();
let found = 0;
for (let n = 0; n < 1_000_000; n++) if (index.has(fill(n, 1))) found++;
const looked = performance.now();
const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);
console.log(`${chunks} chunks (${perFrame} per frame), ${sized ? 'sized up front' : 'grown by doubling'}: peak RSS +${mb(peak - before)} MB ` +
  `(${((peak - before) / chunks).toFixed(1)} bytes per chunk); built in ${((built - start) / 1000).toFixed(1)} s; ` +
  `1M lookups of absent ids ${(looked - built).toFixed(0)} ms (${found} false hits)`);
console.log(`at this rate 1 TiB of unique 64 KiB blocks (16.8 M chunks) needs ${mb(((peak - before) / chunks) * 16_777_216)} MB`);
