/**
 * Restores a fixed-index checkpoint to a file (sparse: zero blocks are never written) or a block
 * device (zero blocks are written, the device may hold old data), or to any BlockSink (a volume over
 * NBD). A file is written under a temporary name and renamed when complete, so a failed restore never
 * leaves a plausible-looking image. In place (`inPlace`), the target's blocks are read and hashed first,
 * and only those that differ from the checkpoint are fetched and written.
 */
import { stat } from 'node:fs/promises';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import type { Bank } from '../bank/bank.ts';
import { checkFixedPage, isZeroId } from '../bank/index-pages.ts';
import type { FixedIndexRef, Manifest } from '../bank/manifest.ts';
import type { BlockSink } from '../core/block-sink.ts';
import type { Extent } from '../core/extent.ts';
import { ExtentList } from '../core/extent-list.ts';
import { SAME_AS_SKIP_ID, ZERO_CHUNK, type CodecPool } from './codec-pool.ts';
import { fetchChunks, type ChunkWant, type Delivered } from './chunk-fetcher.ts';
import { writeDurably } from './direct-writer.ts';
import { Limiter } from './limiter.ts';
import { describeSource } from './source-extents.ts';

const WINDOW_PAGES = 8;

export interface RestoreResult {
  restoredBytes: number;
  writtenBytes: number;
  /** Bytes of the target read to find the blocks that differ (in place only). */
  comparedBytes?: number;
}

export interface SinkRestoreOptions {
  /** Write only the blocks that differ from what the sink holds (it must be readable, unless `changed` is given). */
  inPlace?: boolean;
  /**
   * In place: the only ranges where the sink may differ from the checkpoint (a dirty bitmap kept since
   * it was taken). Their blocks are written without comparing; nothing else is read or written.
   */
  changed?: Extent[];
  onProgress?: ProgressListener;
  /** The disk (its target, vda) of a server checkpoint. */
  disk?: string;
}

/** The image a checkpoint holds: its own, or the named disk of a server. */
export function imageOf(manifest: Manifest, disk?: string): FixedIndexRef {
  const idx = manifest.index;
  if (idx.kind === 'fixed') return idx;
  if (idx.kind !== 'server') throw new CairnError('bad-input', `checkpoint ${manifest.id} is a ${manifest.type}, not an image`);
  const found = idx.disks.find((d) => d.target === disk);
  if (!found) throw new CairnError('bad-input', `checkpoint ${manifest.id} holds the disks ${idx.disks.map((d) => d.target).join(', ')}${disk ? `, not ${disk}` : ': name one'}`);
  return found.index;
}

/** Restores into a sink the caller opened (and makes durable and closes). */
export async function restoreImageToSink(bank: Bank, pool: CodecPool, manifest: Manifest, sink: BlockSink, options: SinkRestoreOptions = {}): Promise<RestoreResult> {
  const idx = imageOf(manifest, options.disk);
  if (sink.size < idx.size) throw new CairnError('bad-input', `the target holds ${sink.size} bytes, the image ${idx.size}`);
  if (options.inPlace && !sink.read && !options.changed) throw new Error('an in-place restore needs a readable sink or the changed ranges');
  const meter = new ProgressMeter('restore', idx.size, options.onProgress);
  const compared = { bytes: 0, changed: options.changed ? await ExtentList.from(options.changed) : undefined };
  const written = await writeImage(bank, pool, manifest, idx, sink, meter, options.inPlace ? compared : undefined);
  meter.finish();
  return { restoredBytes: idx.size, writtenBytes: written, ...(options.inPlace ? { comparedBytes: compared.bytes } : {}) };
}

export async function restoreImage(bank: Bank, pool: CodecPool, manifest: Manifest, target: string, onProgress?: ProgressListener, disk?: string): Promise<RestoreResult> {
  const idx = imageOf(manifest, disk);
  const existing = await stat(target).catch(() => undefined);
  const device = existing?.isBlockDevice() ?? false;
  if (existing && !device && !existing.isFile()) throw new CairnError('bad-input', `${target} exists and is neither a file nor a block device`);
  if (device) {
    const { size } = await describeSource(target);
    if (size < idx.size) throw new CairnError('bad-input', `${target} holds ${size} bytes, the image ${idx.size}: restore to a device of at least ${idx.size} bytes, or to a file`);
  }
  const meter = new ProgressMeter('restore', idx.size, onProgress);
  const written = await writeDurably(target, device, async (out) => {
    if (!device) await out.truncate(idx.size);
    return writeImage(bank, pool, manifest, idx, { size: idx.size, zeroed: !device, write: (b, at) => out.write(b, at) }, meter);
  });
  meter.finish();
  return { restoredBytes: idx.size, writtenBytes: written };
}

/**
 * Writes every block of the image into `out`; returns the bytes written (zero pages of a zeroed sink
 * are skipped). With `compared`, only the blocks that differ from what `out` holds (counting what was read).
 */
async function writeImage(bank: Bank, pool: CodecPool, manifest: Manifest, idx: FixedIndexRef, out: BlockSink, meter: ProgressMeter, compared?: Compared): Promise<number> {
  const limiter = new Limiter(pool.threads + 2);
  let written = 0;
  try {
    const index = await bank.loadIndex();
    const zeroRun = out.zeroed ? undefined : Buffer.alloc(idx.blockSize * 64);
    const sparse = out.zeroed && idx.blockSize % SPARSE_PAGE === 0;
    let previous: Promise<void> = Promise.resolve();
    for (let w = 0; w < idx.pages.length; w += WINDOW_PAGES) {
      const wants: ChunkWant[] = [];
      for (let p = w; p < Math.min(w + WINDOW_PAGES, idx.pages.length); p++) {
        const first = p * idx.pageEntries;
        const entries = Math.min(idx.pageEntries, Math.ceil(idx.size / idx.blockSize) - first);
        const pageId = idx.pages[p];
        // In place, a page of holes is compared like any other: its blocks all have the zero id.
        if (!pageId && !compared) {
          if (zeroRun) written += await writeZeros(out, zeroRun, first * idx.blockSize, Math.min(idx.size, (first + entries) * idx.blockSize));
          meter.add(Math.min(idx.size - first * idx.blockSize, entries * idx.blockSize));
          continue;
        }
        const page = pageId ? checkFixedPage(await bank.readChunk(index, Buffer.from(pageId, 'hex')), entries, `page ${p} of ${manifest.id}`) : Buffer.alloc(entries * 32);
        const same = compared ? await sameBlocks(pool, out, page, first, entries, idx, compared) : undefined;
        for (let i = 0; i < entries; i++) {
          if (same?.[i]) {
            meter.add(Math.min(idx.blockSize, idx.size - (first + i) * idx.blockSize));
          } else if (isZeroId(page, i * 32)) {
            const at = (first + i) * idx.blockSize;
            if (zeroRun) written += await writeZeros(out, zeroRun, at, Math.min(idx.size, at + idx.blockSize));
            meter.add(Math.min(idx.blockSize, idx.size - at));
          } else {
            wants.push({ id: page.subarray(i * 32, i * 32 + 32), tag: first + i });
          }
        }
      }
      const current = fetchChunks(bank, pool, index, limiter, wants, async (chunks) => {
        for (const { plain, tags } of chunks) {
          for (const block of tags) {
            const length = Math.min(idx.blockSize, idx.size - block * idx.blockSize);
            if (plain.length !== length) throw new CairnError('corrupt', `block ${block} of checkpoint ${manifest.id} holds ${plain.length} bytes, its index says ${length}`);
          }
        }
        for (const run of contiguousRuns(chunks, idx.blockSize)) {
          const at = run.block * idx.blockSize;
          // A new file reads as zeros where nothing was written: leave its zero pages unwritten, so
          // a block holding 4 KiB of data stays 4 KiB on disk, as in the source.
          const pieces = sparse ? nonZeroPieces(run.bytes) : [{ offset: 0, length: run.bytes.length }];
          for (const piece of pieces) {
            await out.write(run.bytes.subarray(piece.offset, piece.offset + piece.length), at + piece.offset);
            written += piece.length;
          }
          meter.add(run.bytes.length);
        }
        // Written and not needed any more: free the decode buffer now rather than at the next GC.
        for (const { plain } of chunks) freeNow(plain);
      });
      current.catch(() => undefined); // awaited below, after the window before it
      // One window is fetched while the next one's pages are read.
      await previous;
      previous = current;
    }
    await previous;
    await limiter.drain();
    return written;
  } catch (err) {
    await limiter.drain().catch(() => undefined); // no read or write of this restore may outlive it
    throw err;
  }
}

/**
 * Groups decoded blocks into runs that can be written with one call: consecutive blocks whose
 * plaintexts already lie back to back in the decode buffer (the common case: a backup stores the
 * blocks of a region in order). A block wanted at several offsets is written once per offset.
 */
function* contiguousRuns(chunks: readonly Delivered[], blockSize: number): Generator<{ block: number; bytes: Buffer }> {
  let run: { block: number; bytes: Buffer; next: number } | undefined;
  for (const { plain, tags } of chunks) {
    for (const block of tags) {
      const extends_ = run && tags.length === 1 && block === run.next && run.bytes.length % blockSize === 0 &&
        run.bytes.buffer === plain.buffer && run.bytes.byteOffset + run.bytes.length === plain.byteOffset;
      if (run && extends_) {
        run.bytes = Buffer.from(plain.buffer, run.bytes.byteOffset, run.bytes.length + plain.length);
        run.next++;
        continue;
      }
      if (run) yield run;
      run = { block, bytes: plain, next: block + 1 };
    }
  }
  if (run) yield run;
}

/** File pages: the unit in which a file can have holes. */
const SPARSE_PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(SPARSE_PAGE);

/**
 * The parts of `bytes` (which starts at a file offset that is a multiple of SPARSE_PAGE) to write: all
 * but its all-zero pages. Most data pages differ from zero in their first bytes, so the scan costs little.
 */
function nonZeroPieces(bytes: Buffer): { offset: number; length: number }[] {
  const pieces: { offset: number; length: number }[] = [];
  let start = -1;
  for (let o = 0; o < bytes.length; o += SPARSE_PAGE) {
    const end = Math.min(bytes.length, o + SPARSE_PAGE);
    const zero = end - o === SPARSE_PAGE && bytes[o] === 0 && bytes[end - 1] === 0 && bytes.subarray(o, end).equals(ZERO_PAGE);
    if (!zero && start < 0) start = o;
    if (zero && start >= 0) { pieces.push({ offset: start, length: o - start }); start = -1; }
  }
  if (start >= 0) pieces.push({ offset: start, length: bytes.length - start });
  return pieces;
}

/**
 * Which of a page's blocks the sink already holds: read back in batches of a megabyte and hashed in
 * the pool against the page's ids (an all-zero block matches the zero id).
 */
async function sameBlocks(pool: CodecPool, out: BlockSink, page: Buffer, first: number, entries: number, idx: FixedIndexRef, compared: Compared): Promise<boolean[]> {
  const bs = idx.blockSize;
  if (compared.changed) return unchangedBlocks(compared.changed, first, entries, bs);
  const per = Math.max(1, Math.floor((1 << 20) / bs));
  const same = new Array<boolean>(entries).fill(false);
  const compare = async (b: number, count: number): Promise<void> => {
    const at = (first + b) * bs, length = Math.min(count * bs, idx.size - at);
    const data = new ArrayBuffer(length);
    const got = await out.read!(new Uint8Array(data), length, at);
    if (got < length) throw new CairnError('source', `the target ended at ${at + got} bytes while ${idx.size} were expected`);
    compared.bytes += length;
    const bounds = Array.from({ length: count + 1 }, (_, k) => Math.min(k * bs, length));
    const skip = new Uint8Array(count * 32);
    skip.set(page.subarray(b * 32, (b + count) * 32));
    const kinds = new Int8Array((await pool.hash({ data, bounds, skipIds: skip.buffer })).kinds);
    for (let k = 0; k < count; k++) same[b + k] = kinds[k] === SAME_AS_SKIP_ID || (kinds[k] === ZERO_CHUNK && isZeroId(page, (b + k) * 32));
  };
  const limiter = new Limiter(pool.threads * 2);
  try {
    for (let b = 0; b < entries; b += per) await limiter.run(() => compare(b, Math.min(per, entries - b)));
    await limiter.drain();
  } catch (err) {
    await limiter.drain().catch(() => undefined); // no read of the target may outlive the restore
    throw err;
  }
  return same;
}

/** What an in-place restore learns of the target: bytes read to compare, or the ranges that may differ. */
interface Compared {
  bytes: number;
  changed: ExtentList | undefined;
}

/** Blocks of a page that no changed range touches. */
function unchangedBlocks(changed: ExtentList, first: number, entries: number, bs: number): boolean[] {
  const same = new Array<boolean>(entries).fill(true);
  for (const [a, b] of changed.touchedBlocks(first, entries, bs)) same.fill(false, a, b);
  return same;
}

/** Writes zeros over [from, to); returns the bytes written. */
async function writeZeros(out: BlockSink, zeros: Buffer, from: number, to: number): Promise<number> {
  for (let at = from; at < to; at += zeros.length) await out.write(zeros.subarray(0, Math.min(zeros.length, to - at)), at);
  return to - from;
}
