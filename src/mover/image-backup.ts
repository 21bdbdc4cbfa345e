/**
 * Backs up a disk image or block device into a fixed index.
 *
 * Per page of the index (pageEntries blocks) every block is one of:
 *   hole   — outside the source's data extents: the zero id, nothing read;
 *   clean  — data the caller says did not change since the parent (dirty extents given): the parent's id;
 *   read   — everything else: read, hashed in the pool, compared with the parent's id at the same offset,
 *            and stored only when the bank does not have it yet; the new blocks of a batch share a frame.
 * Without dirty extents every data block is read: "forever incremental" still writes only new chunks.
 * Reads, hashing and uploads overlap; memory is bounded by the limiter and the pack writer.
 */
import { CairnError } from '../core/errors.ts';
import type { Extent } from '../core/extent.ts';
import { ExtentList } from '../core/extent-list.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import { BackupSession } from '../bank/backup-session.ts';
import type { Bank } from '../bank/bank.ts';
import { isZeroId } from '../bank/index-pages.ts';
import { FRAME_TARGET_BYTES } from '../bank/frame.ts';
import type { FixedIndexRef, Manifest } from '../bank/manifest.ts';
import { AlignedBuffers } from './aligned-buffers.ts';
import type { CodecPool } from './codec-pool.ts';
import { ChunkStorer } from './chunk-storer.ts';
import { FileBlockSource } from './file-block-source.ts';
import { Limiter } from './limiter.ts';
import type { BlockSource } from '../core/block-source.ts';

export { newCheckpointId } from '../bank/manifest.ts';

export interface ImageBackupRequest {
  /** An image file or block device, opened and closed here; or `source`, opened and closed by the caller. */
  path?: string;
  source?: BlockSource;
  /** The checkpoint's id, chosen by the caller (newCheckpointId()) when it names something after it first. */
  checkpointId?: string;
  /** Recorded in the manifest: what the user should know about how this checkpoint was made. */
  warnings?: string[];
  name: string;
  parent: Manifest | null;
  /** Ranges changed since the parent (changed-block tracking); only these are read. Needs a parent. */
  dirtyExtents?: Extent[];
  tags?: string[];
  onProgress?: ProgressListener;
}

const HOLE = 0, CLEAN = 1, READ = 2;
// Per batch: 16 blocks (of the default 64 KiB) amortize the messages to the workers, and the new ones compress
// together as one frame; larger batches only add memory (each batch in flight holds its read and its frames).
const BATCH_BYTES = 1 << 20;

interface PageState {
  entries: Buffer;
  parent: Buffer | null;
  parentId: string | null;
  pending: number;
}

export async function backupImage(bank: Bank, pool: CodecPool, req: ImageBackupRequest): Promise<Manifest> {
  if (!req.source && req.path === undefined) throw new Error('backupImage needs a path or a source');
  // Opened before the session: a source that cannot be opened leaves no session record behind.
  const source = req.source ?? await FileBlockSource.open(req.path!);
  try {
    return await backupSource(bank, pool, source, req);
  } finally {
    if (!req.source) await source.close();
  }
}

async function backupSource(bank: Bank, pool: CodecPool, source: BlockSource, req: ImageBackupRequest): Promise<Manifest> {
  const parentIndex = compatibleParent(req.parent?.index.kind === 'fixed' ? req.parent.index : null, bank);
  if (req.dirtyExtents && !parentIndex) throw new CairnError('bad-input', 'dirty extents need a parent checkpoint with the same block size');
  const session = await BackupSession.start(bank, req.checkpointId ? { checkpointId: req.checkpointId } : {});
  const meter = new ProgressMeter('backup', 0, req.onProgress);
  try {
    const image = await storeImage(session, pool, source, { parent: parentIndex, ...(req.dirtyExtents ? { dirtyExtents: req.dirtyExtents } : {}), meter });
    meter.finish();
    return await session.commit({
      name: req.name, type: 'image', parent: req.parent?.id ?? null, tags: req.tags ?? [],
      sourceBytes: image.index.size, readBytes: image.readBytes, storedBytes: image.storedBytes, index: image.index,
      ...(req.warnings?.length ? { warnings: req.warnings } : {}),
    });
  } catch (err) {
    await session.close();
    throw err;
  }
}

export interface StoreImageOptions {
  /** The same image's index in the parent checkpoint (compatibleParent): unchanged pages and blocks are shared with it. */
  parent: FixedIndexRef | null;
  /** Ranges changed since the parent; only these are read. Needs a parent. */
  dirtyExtents?: Extent[];
  /** Counts what this image reads; its total grows by what the image will read once that is planned. */
  meter: ProgressMeter;
}

export interface StoredImage {
  index: FixedIndexRef;
  readBytes: number;
  storedBytes: number;
}

/**
 * Stores one image into a session that is still open: the caller commits it, in a checkpoint of its
 * own (an image) or with other images (the disks of a server). On failure the caller closes the session.
 */
export async function storeImage(session: BackupSession, pool: CodecPool, source: BlockSource, opts: StoreImageOptions): Promise<StoredImage> {
  const bank = session.bank;
  const info = { size: source.size };
  const bs = bank.chunking.imageBlockSize, perPage = bank.chunking.fixedPageEntries;
  const parentIndex = opts.parent;
  if (opts.dirtyExtents && !parentIndex) throw new CairnError('bad-input', 'dirty extents need a parent checkpoint with the same block size');
  const dataList = await ExtentList.from(source.dataExtents());
  const dirty = opts.dirtyExtents ? await ExtentList.from(opts.dirtyExtents) : undefined;

  const blocks = Math.ceil(info.size / bs), pageCount = Math.ceil(blocks / perPage);
  const pages: (string | null)[] = new Array<string | null>(pageCount).fill(null);
  const meter = opts.meter;
  const inFlight = pool.threads * 2 + 1;
  const limiter = new Limiter(inFlight);
  const batchBlocks = Math.max(1, Math.floor(BATCH_BYTES / bs));
  const gatherRuns = bs % 4096 === 0;
  const reads = new AlignedBuffers(batchBlocks * bs, inFlight + 1);
  const storer = new ChunkStorer(session, pool, {
    type: 'data', level: bank.chunking.compressionLevel, frameBytes: FRAME_TARGET_BYTES, batchBytes: batchBlocks * bs, batchChunks: batchBlocks,
  });
  let readBytes = 0, storedBytes = 0;
  try {
    const plans = planPages(info.size, bs, perPage, dataList, dirty);
    meter.totalBytes += plans.readBytes;
    for (let p = 0; p < pageCount; p++) {
      const states = plans.pageStates(p);
      // Holes only: all zero ids, whatever the parent had. Nothing to read or store (pages[p] stays
      // null), and no page buffer: a sparse TiB has 16,384 pages.
      if (states.indexOf(CLEAN) < 0 && states.indexOf(READ) < 0) continue;
      const stored = parentIndex?.pages[p] ?? null;
      // A parent page this writer may not reuse (condemned by a GC) counts as absent: its blocks are read.
      const parentId = stored && session.index.has(Buffer.from(stored, 'hex')) ? stored : null;
      const parent = parentId ? fitPage(await bank.readChunk(session.index, Buffer.from(parentId, 'hex')), states.length) : null;
      const page: PageState = { entries: Buffer.alloc(states.length * 32), parent, parentId, pending: 1 };
      const finishPage = async (): Promise<void> => {
        if (--page.pending > 0) return;
        pages[p] = await storePage(session, page);
      };
      // Runs of blocks to read are gathered into batches of up to batchBlocks, so scattered changed
      // blocks cost one read each but share the trips to the codec pool (with direct reads, only
      // where every block starts on a page boundary).
      let run = -1, gather: Segment[] = [], gathered = 0;
      const dispatch = async (): Promise<void> => {
        if (gathered === 0) return;
        const segments = gather;
        gather = [];
        gathered = 0;
        page.pending++;
        await limiter.run(async () => {
          const r = await backupBatch(source, storer, reads, page, { pageBlock: p * perPage, segments, blockSize: bs, size: info.size });
          readBytes += r.read;
          storedBytes += r.stored; // added after the await: `x += await f()` would lose concurrent updates
          meter.add(r.read);
          await finishPage();
        });
      };
      for (let i = 0; i <= states.length; i++) {
        let state = i < states.length ? states[i]! : HOLE;
        if (state === CLEAN) {
          // Trust the parent only for chunks this writer may reuse: a GC may have condemned others.
          if (parent && !isZeroId(parent, i * 32) && session.index.has(parent.subarray(i * 32, i * 32 + 32))) {
            parent.copy(page.entries, i * 32, i * 32, i * 32 + 32);
            storedBytes += session.storedLength(parent.subarray(i * 32, i * 32 + 32), Math.min(bs, info.size - (p * perPage + i) * bs));
          } else {
            state = READ; // the parent has nothing here: read rather than trust the bitmap
            meter.totalBytes += Math.min(bs, info.size - (p * perPage + i) * bs);
          }
        }
        if (run >= 0 && (state !== READ || gathered + i - run >= batchBlocks)) {
          gather.push({ first: run, count: i - run });
          gathered += i - run;
          run = -1;
          if (gathered >= batchBlocks || !gatherRuns) await dispatch();
        }
        if (state === READ && run < 0) run = i;
      }
      await dispatch();
      await finishPage();
    }
    await limiter.drain();
    return { index: { kind: 'fixed', size: info.size, blockSize: bs, pageEntries: perPage, pages }, readBytes, storedBytes };
  } catch (err) {
    await limiter.drain().catch(() => undefined);
    throw err;
  }
}

/** A parent image's index if this bank's writers can share its pages and blocks (same block size and page length). */
export function compatibleParent(idx: FixedIndexRef | null | undefined, bank: Bank): FixedIndexRef | null {
  if (!idx || idx.blockSize !== bank.chunking.imageBlockSize || idx.pageEntries !== bank.chunking.fixedPageEntries) return null;
  return idx;
}

/**
 * Classifies blocks page by page from the data and dirty extents (sorted, disjoint). Each page looks
 * up its first extent by binary search, so planning stays linear in pages plus extents.
 */
function planPages(size: number, bs: number, perPage: number, data: ExtentList, dirty: ExtentList | undefined) {
  const blocks = Math.ceil(size / bs);
  const mark = (states: Uint8Array, first: number, list: ExtentList, value: number, only?: number): void => {
    for (const [a, b] of list.touchedBlocks(first, states.length, bs)) {
      for (let i = a; i < b; i++) if (only === undefined || states[i] === only) states[i] = value;
    }
  };
  const pageStates = (p: number): Uint8Array => {
    const first = p * perPage;
    const states = new Uint8Array(Math.min(perPage, blocks - first));
    mark(states, first, data, dirty ? CLEAN : READ);
    if (dirty) mark(states, first, dirty, READ, CLEAN);
    return states;
  };
  // What will be read: whole blocks, each block once, the last one short.
  let readBytes = 0, counted = 0;
  const reads = dirty ? data.intersect(dirty) : data;
  for (let k = 0; k < reads.length; k++) {
    const first = Math.max(counted, Math.floor(reads.start(k) / bs)), end = Math.ceil(reads.end(k) / bs);
    if (end > first) readBytes += Math.min(end * bs, size) - first * bs;
    counted = Math.max(counted, end);
  }
  return { pageStates, readBytes };
}

/** Consecutive blocks of a page: `count` from its entry `first`. */
interface Segment {
  first: number;
  count: number;
}

interface BatchPlace {
  /** The page's first block in the image. */
  pageBlock: number;
  segments: Segment[];
  blockSize: number;
  size: number;
}

/** Reads the segments' blocks back to back, stores those the bank lacks, and records their ids in the page. */
async function backupBatch(source: BlockSource, storer: ChunkStorer, reads: AlignedBuffers, page: PageState, at: BatchPlace): Promise<{ read: number; stored: number }> {
  const { pageBlock, segments, blockSize: bs, size } = at;
  const data = reads.take();
  const bounds: number[] = [];
  let length = 0, blocks = 0;
  // The segments are read at the same time: scattered changed blocks are each a read of their own,
  // and a source over NBD or a cold disk answers many in flight far sooner than one after another.
  const reading: Promise<void>[] = [];
  let short: string | undefined;
  for (const { first, count } of segments) {
    const offset = (pageBlock + first) * bs;
    const want = Math.min(count * bs, size - offset);
    reading.push(source.read(new Uint8Array(data, length), want, offset).then((got) => {
      if (got < want) short ??= `${source.description} ended at ${offset + got} bytes while ${size} were expected; was it truncated during the backup?`;
    }));
    for (let i = 0; i < count; i++) bounds.push(length + i * bs);
    length += want;
    blocks += count;
  }
  bounds.push(length);
  try {
    await Promise.all(reading);
  } catch (err) {
    await Promise.allSettled(reading); // no read may still be writing into the buffer given back
    reads.give(data);
    throw err;
  }
  if (short) {
    reads.give(data);
    throw new CairnError('bad-input', short);
  }
  let skipIds: ArrayBuffer | undefined;
  if (page.parent) {
    const skip = new Uint8Array(blocks * 32);
    let k = 0;
    for (const { first, count } of segments) { skip.set(page.parent.subarray(first * 32, (first + count) * 32), k); k += count * 32; }
    skipIds = skip.buffer;
  }
  const batch = await storer.store(data, bounds, skipIds);
  reads.give(batch.data);
  let k = 0;
  for (const { first, count } of segments) { page.entries.set(batch.ids.subarray(k, k + count * 32), first * 32); k += count * 32; }
  return { read: length, stored: batch.storedBytes };
}

/** The parent's page sized to this page's entries: images may grow or shrink between checkpoints. */
function fitPage(page: Buffer, entries: number): Buffer {
  if (page.length === entries * 32) return page;
  const fitted = Buffer.alloc(entries * 32);
  page.copy(fitted, 0, 0, Math.min(page.length, fitted.length));
  return fitted;
}

async function storePage(session: BackupSession, page: PageState): Promise<string | null> {
  if (page.parent && page.parentId && page.entries.equals(page.parent) && session.index.has(Buffer.from(page.parentId, 'hex'))) return page.parentId;
  let allZero = true;
  for (let i = 0; i < page.entries.length; i += 32) if (!isZeroId(page.entries, i)) { allZero = false; break; }
  if (allZero) return null;
  return (await session.storeMeta(page.entries)).toString('hex');
}
