// The benchmark's data, built once into a cache directory and reused while the parameters are
// the same (the directory name is the key, with a layout version to bump when the data set or
// meta.json changes; meta.json is written last and marks the directory complete).
//
// image: a sparse ext4 image filled with real system files, and two copies with a scattered rewrite:
// 2% of the image size in 64 KiB writes at 64 KiB-aligned offsets spread uniformly over the WHOLE
// image, the same offsets in both. One copy gets random (incompressible) data, the worst case for a
// block-level tool: what changed cannot be stored in less than its size. The other gets real file
// contents (taken from the staged files at offsets off the page grid, so no rewritten block equals
// a block of the image, and never a mostly-zero piece), which compress as a guest's writes usually do.
// Holes are deliberately included: a guest writes to blocks it never used before as often as it
// rewrites old ones, and a hole turned into data is the case where a tool that skips holes must
// notice new data. The rewrite ignores the file system (the image is not fsck-clean afterwards); for
// a block-level backup that makes no difference.
// files: a tree of real files and a plan that changes 1% of them (see tree-changes.ts).
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyCapped } from './copy-capped.ts';
import { diskUsage, run } from './measure.ts';
import { seededBytes, seededRandom } from './seeded.ts';
import type { TreePlan } from './tree-changes.ts';
import { applyTreeChanges, listFiles, planTreeChanges } from './tree-changes.ts';

export interface ImageSet {
  base: string;
  logicalBytes: number;
  allocatedBytes: number;
  staged: { files: number; bytes: number; sources: string[] };
  /** The base after the random-data rewrite, and after the real-data one. */
  variants: Record<RewriteKind, ImageVariant>;
}

export type RewriteKind = 'random' | 'real';

export interface ImageVariant {
  modified: string;
  modifiedAllocatedBytes: number;
  rewrite: RewriteStats;
}

export interface RewriteStats {
  blockBytes: number;
  blocks: number;
  /** blocks × blockBytes: the bytes rewritten, the denominator of read/write amplification. */
  changedBytes: number;
  /** Bytes that actually differ afterwards (random data matches old data 1 time in 256). */
  differingBytes: number;
  /** Blocks that were all zeros before: holes, or never-written blocks inside the file system. */
  blocksThatWereZero: number;
}

export interface TreeSet {
  base: string;
  modified: string;
  files: number;
  bytes: number;
  modifiedBytes: number;
  sources: string[];
  plan: TreePlan;
}

const imageSources = ['/usr/bin', '/usr/share', '/var/lib', '/usr/lib'];
const blockBytes = 64 * 1024;
const rewriteFraction = 0.02;
const layout = 'v3';

export async function imageSet(cacheDir: string, logicalBytes: number, dataBytes: number, seed: string): Promise<ImageSet> {
  const dir = join(cacheDir, `image-${layout}-${logicalBytes}-${dataBytes}-${seed}`);
  const cached = await readMeta<ImageSet>(dir);
  if (cached !== undefined) return cached;
  await rm(dir, { recursive: true, force: true });
  const staging = join(dir, 'staging');
  const base = join(dir, 'base.img');
  console.error(`dataset: staging ${mb(dataBytes)} MB of ${imageSources.join(', ')}`);
  const staged = await copyCapped(imageSources, staging, dataBytes);
  console.error(`dataset: mkfs.ext4 on a ${mb(logicalBytes)} MB image`);
  await run('truncate', ['-s', String(logicalBytes), base]);
  await run('mkfs.ext4', ['-q', '-F', '-d', staging, base]);
  const blocks = Math.round((logicalBytes * rewriteFraction) / blockBytes);
  const realPool = await readPool(staging, Math.min(staged.bytes, blocks * blockBytes * 2));
  await rm(staging, { recursive: true });
  const contents: Record<RewriteKind, (block: number) => Buffer> = {
    random: (block) => seededBytes(`${seed}:block:${block}`, blockBytes),
    real: realPieces(realPool, seed),
  };
  const variants = {} as Record<RewriteKind, ImageVariant>;
  for (const kind of ['random', 'real'] as const) {
    const modified = join(dir, kind === 'random' ? 'modified.img' : 'modified-real.img');
    await run('cp', ['--sparse=always', base, modified]);
    const rewrite = await rewriteScattered(modified, logicalBytes, blocks, seed, contents[kind]);
    variants[kind] = { modified, modifiedAllocatedBytes: (await diskUsage(modified)).allocated, rewrite };
  }
  const set: ImageSet = {
    base, logicalBytes, allocatedBytes: (await diskUsage(base)).allocated,
    staged: { ...staged, sources: imageSources }, variants,
  };
  await writeMeta(dir, set);
  return set;
}

/** Up to `budget` bytes of the staged files, concatenated in sorted order. */
async function readPool(staging: string, budget: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const file of await listFiles(staging)) {
    if (bytes >= budget) break;
    const data = await readFile(join(staging, file.path));
    parts.push(data);
    bytes += data.length;
  }
  return Buffer.concat(parts).subarray(0, budget);
}

/**
 * 64 KiB pieces of real data from the pool, one per rewritten block, chosen by the seed: at offsets
 * off the 4 KiB grid (files lie on it in the image, so a piece never equals an image block), and
 * never a piece that is more than half zeros (the rewrite is meant to change data, not punch holes).
 */
function realPieces(pool: Buffer, seed: string): (block: number) => Buffer {
  if (pool.length < 2 * blockBytes) throw new Error(`only ${pool.length} bytes of staged files to rewrite blocks with`);
  return (block) => {
    const random = seededRandom(`${seed}:real:${block}`);
    for (;;) {
      let offset = Math.floor(random() * (pool.length - blockBytes - 1));
      if (offset % 4096 === 0) offset++;
      const piece = pool.subarray(offset, offset + blockBytes);
      let zeros = 0;
      for (let i = 0; i < piece.length; i += 64) if (piece[i] === 0) zeros++;
      if (zeros < piece.length / 64 / 2) return Buffer.from(piece);
    }
  };
}

/** The 64 KiB blocks the rewrite changes, in ascending order: the same for every variant of a set. */
export function rewrittenBlocks(logicalBytes: number, seed: string): number[] {
  const blocks = Math.round((logicalBytes * rewriteFraction) / blockBytes);
  const totalBlocks = Math.floor(logicalBytes / blockBytes);
  const random = seededRandom(`${seed}:offsets`);
  const chosen = new Set<number>();
  while (chosen.size < blocks) chosen.add(Math.floor(random() * totalBlocks));
  return [...chosen].sort((a, b) => a - b);
}

async function rewriteScattered(file: string, logicalBytes: number, blocks: number, seed: string, content: (block: number) => Buffer): Promise<RewriteStats> {
  const chosen = rewrittenBlocks(logicalBytes, seed);
  if (chosen.length !== blocks) throw new Error(`rewrite plans ${chosen.length} blocks, ${blocks} expected`);
  const stats: RewriteStats = { blockBytes, blocks, changedBytes: blocks * blockBytes, differingBytes: 0, blocksThatWereZero: 0 };
  const handle = await open(file, 'r+');
  try {
    const old = Buffer.alloc(blockBytes);
    for (const block of chosen) {
      const position = block * blockBytes;
      await handle.read(old, 0, blockBytes, position);
      const fresh = content(block);
      let zero = true;
      for (let i = 0; i < blockBytes; i++) {
        if (old[i] !== 0) zero = false;
        if (old[i] !== fresh[i]) stats.differingBytes++;
      }
      if (zero) stats.blocksThatWereZero++;
      await handle.write(fresh, 0, blockBytes, position);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return stats;
}

export async function treeSet(cacheDir: string, budget: number, seed: string): Promise<TreeSet> {
  const dir = join(cacheDir, `tree-${layout}-${budget}-${seed}`);
  const cached = await readMeta<TreeSet>(dir);
  if (cached !== undefined) return cached;
  await rm(dir, { recursive: true, force: true });
  const base = join(dir, 'base');
  const modified = join(dir, 'modified');
  const pythons = (await readdir('/usr/lib')).filter((name) => name.startsWith('python3')).sort();
  const sources = ['/usr/share/doc', ...pythons.map((name) => `/usr/lib/${name}`), '/usr/include'];
  console.error(`dataset: copying up to ${mb(budget)} MB of ${sources.join(', ')}`);
  const copied = await copyCapped(sources, base, budget);
  const plan = await planTreeChanges(base, seed);
  await run('cp', ['-a', base, modified]);
  await applyTreeChanges(modified, plan);
  const modifiedBytes = (await listFiles(modified)).reduce((sum, file) => sum + file.size, 0);
  const set: TreeSet = { base, modified, files: copied.files, bytes: copied.bytes, modifiedBytes, sources, plan };
  await writeMeta(dir, set);
  return set;
}

async function readMeta<T>(dir: string): Promise<T | undefined> {
  const path = join(dir, 'meta.json');
  return existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as T) : undefined;
}

async function writeMeta(dir: string, meta: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}
