/**
 * Chooses the chunk sizes of content-defined chunking: for several (min, avg, max) it measures the
 * chunker's throughput alone (one core, data in memory, no copies), the chunk sizes it produces, and
 * how many new bytes a copy with scattered small edits costs (the sum of its chunks absent from the
 * original), plus what the chunk count means for packs and for the in-memory chunk index.
 *
 *   node bench/cdc-sizes.ts [file]
 *
 * Input: the first 512 MiB of `file`, or by default of a tar of /usr/lib built into a temp file.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tableBytesPerChunk } from '../src/bank/chunk-index.ts';
import { CdcChunker, chunkStream, createGearTable } from '../src/mover/cdc-chunker.ts';

const MIB = 1 << 20;
const CAP = 512 * MIB;
const PACK = 16 * MIB;
const OVERWRITES = 200;
const OVERWRITE_SIZE = 4096;
const INSERTIONS = 5;

interface Choice { minSize: number; avgSize: number; maxSize: number }

const choices: Choice[] = [256 * 1024, 512 * 1024, MIB, 2 * MIB, 4 * MIB].flatMap((avg) => [4, 8].map((k) => ({ minSize: avg / 4, avgSize: avg, maxSize: avg * k })));

async function readInput(path: string | undefined): Promise<Uint8Array> {
  let dir: string | undefined;
  if (path === undefined) {
    dir = await mkdtemp(join(tmpdir(), 'cairn-cdc-'));
    path = join(dir, 'usr-lib.tar');
    console.log(`building ${path} from /usr/lib (first ${CAP / MIB} MiB)…`);
    await promisify(execFile)('sh', ['-c', `tar -cf - -C / usr/lib 2>/dev/null | head -c ${CAP} > '${path}'`]);
  }
  try {
    const fh = await open(path, 'r');
    try {
      const size = Math.min(CAP, (await fh.stat()).size);
      const buf = new Uint8Array(size);
      for (let off = 0; off < size;) {
        const { bytesRead } = await fh.read(buf, off, size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** A small seeded generator (mulberry32), so every size choice sees the same edits. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A copy with OVERWRITES random 4 KiB overwrites and INSERTIONS insertions of 1–100 bytes. */
function edit(original: Uint8Array): { edited: Uint8Array; changed: number } {
  const rand = prng(42);
  const copy = original.slice();
  for (let i = 0; i < OVERWRITES; i++) {
    const at = Math.floor(rand() * (copy.length - OVERWRITE_SIZE));
    copy.set(randomBytes(OVERWRITE_SIZE), at);
  }
  const inserts = Array.from({ length: INSERTIONS }, () => ({ at: Math.floor(rand() * copy.length), len: 1 + Math.floor(rand() * 100) }))
    .sort((a, b) => a.at - b.at);
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const { at, len } of inserts) {
    parts.push(copy.subarray(prev, at), randomBytes(len));
    prev = at;
  }
  parts.push(copy.subarray(prev));
  const edited = Buffer.concat(parts);
  return { edited: new Uint8Array(edited.buffer, edited.byteOffset, edited.length), changed: OVERWRITES * OVERWRITE_SIZE + inserts.reduce((s, x) => s + x.len, 0) };
}

function lengths(chunker: CdcChunker, data: Uint8Array): number[] {
  const ends = chunker.cuts(data, false);
  return ends.map((end, i) => end - (ends[i - 1] ?? 0));
}

function ids(data: Uint8Array, lens: number[]): string[] {
  let pos = 0;
  return lens.map((len) => createHash('sha256').update(data.subarray(pos, (pos += len))).digest('base64'));
}

/** Best of three runs, in MB/s (10^6 bytes). */
function throughput(chunker: CdcChunker, data: Uint8Array): number {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    lengths(chunker, data);
    best = Math.max(best, data.length / 1e3 / (performance.now() - t0));
  }
  return best;
}

/** Best of three runs through chunkStream with 1 MiB reads, chunks copied out, in MB/s. */
async function streamThroughput(chunker: CdcChunker, data: Uint8Array): Promise<number> {
  const reads = function* (): Generator<Uint8Array> {
    for (let off = 0; off < data.length; off += MIB) yield data.subarray(off, off + MIB);
  };
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let n = 0;
    for await (const chunk of chunkStream(reads(), chunker)) n += chunk.length;
    if (n !== data.length) throw new Error('chunkStream lost bytes');
    best = Math.max(best, data.length / 1e3 / (performance.now() - t0));
  }
  return best;
}

const kib = (n: number): string => `${Math.round(n / 1024)}K`;
const mib = (n: number): string => (n / MIB).toFixed(1);

async function main(): Promise<void> {
  const original = await readInput(process.argv[2]);
  const { edited, changed } = edit(original);
  const gear = createGearTable(randomBytes(32));
  console.log(`input ${mib(original.length)} MiB; edit: ${OVERWRITES} × 4 KiB overwrites + ${INSERTIONS} insertions = ${(changed / 1024).toFixed(0)} KiB changed\n`);
  lengths(new CdcChunker({ gear, ...choices[0]! }), original.subarray(0, 64 * MIB)); // let the JIT settle first
  const rows: string[][] = [['min/avg/max', 'MB/s', 'mean', 'at max', 'chunks', 'new MiB', 'new/edit', 'chunks/pack', 'index MiB/TiB']];
  for (const choice of choices) {
    const chunker = new CdcChunker({ gear, ...choice });
    const speed = throughput(chunker, original);
    const before = lengths(chunker, original);
    const known = new Set(ids(original, before));
    const after = lengths(chunker, edited);
    const afterIds = ids(edited, after);
    const fresh = after.reduce((sum, len, i) => sum + (known.has(afterIds[i]!) ? 0 : len), 0);
    const mean = original.length / before.length;
    rows.push([
      `${kib(choice.minSize)}/${kib(choice.avgSize)}/${kib(choice.maxSize)}`,
      speed.toFixed(0),
      kib(mean),
      `${((100 * before.slice(0, -1).filter((l) => l === choice.maxSize).length) / before.length).toFixed(1)}%`,
      String(before.length),
      mib(fresh),
      kib(fresh / (OVERWRITES + INSERTIONS)),
      (PACK / mean).toFixed(1),
      ((2 ** 40 / mean) * tableBytesPerChunk(1) / MIB).toFixed(0),
    ]);
  }
  printTable(rows);
  const mid = new CdcChunker({ gear, minSize: 256 * 1024, avgSize: MIB, maxSize: 4 * MIB });
  console.log(`\nchunkStream (1 MiB reads, chunks copied out), 256K/1024K/4096K: ${(await streamThroughput(mid, original)).toFixed(0)} MB/s`);
  console.log(`new/edit: new bytes per edit (205 edits); index MiB/TiB: chunk index memory per TiB stored at ${tableBytesPerChunk(1).toFixed(0)} B per chunk (a frame each)`);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

await main();
