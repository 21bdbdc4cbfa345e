/**
 * Re-reads and re-hashes every chunk that checkpoints reference and names the damaged checkpoints.
 * A chunk shared by several checkpoints is read once; a damaged one marks every checkpoint that uses it.
 */
import { isCairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import type { Bank } from '../bank/bank.ts';
import type { CheckpointInfo, Manifest } from '../bank/manifest.ts';
import { referencedChunks } from '../bank/references.ts';
import type { CodecPool } from './codec-pool.ts';
import { fetchChunks, type ChunkWant } from './chunk-fetcher.ts';
import { Limiter } from './limiter.ts';

export interface CheckpointVerdict {
  id: string;
  name: string;
  type: string;
  damaged: boolean;
  chunks: number;
  /** The first problems found (at most 10). */
  problems: string[];
}

export interface VerifyReport {
  checkpoints: CheckpointVerdict[];
  chunksChecked: number;
  bytesChecked: number;
  damagedChunks: number;
}

const BATCH = 4096;

/** Checks the checkpoints listed, each read whole only when its turn comes (an image's page list grows with its size). */
export async function verifyCheckpoints(bank: Bank, pool: CodecPool, manifests: readonly (CheckpointInfo | Manifest)[], onProgress?: ProgressListener): Promise<VerifyReport> {
  const index = await bank.loadIndex();
  // Chunks found good are marked in the chunk table (no set of ids that grows with the bank).
  let good = 0;
  const bad = new Map<string, string>();
  const meter = new ProgressMeter('verify', manifests.reduce((n, m) => n + m.storedBytes, 0), onProgress);
  const limiter = new Limiter(pool.threads * 2 + 2);
  let bytesChecked = 0;
  const checkpoints: CheckpointVerdict[] = [];
  // Index pages (of images and streams) walked for an earlier checkpoint, with how many chunks they
  // name: the checkpoints of a chain share most of their pages, and reading each page again for every
  // checkpoint made verify cost pages × checkpoints (a TiB image has 16,384 pages, 512 MB of them).
  // Skipped only while nothing damaged was found: then every chunk such a page names was found good.
  const walked = new Map<string, number>();

  for (const info of manifests) {
    const m = 'index' in info ? info : await bank.findManifest(info.id); // undefined: forgotten since it was listed
    if (!m) continue;
    const verdict: CheckpointVerdict = { id: m.id, name: m.name, type: m.type, damaged: false, chunks: 0, problems: [] };
    const problem = (text: string): void => {
      verdict.damaged = true;
      if (verdict.problems.length < 10) verdict.problems.push(text);
    };
    let wants: ChunkWant[] = [];
    const check = async (): Promise<void> => {
      const batch = wants;
      wants = [];
      await fetchChunks(bank, pool, index, limiter, batch, (chunks) => {
        for (const { plain, tags } of chunks) {
          for (const t of tags) if (index.mark(batch[t]!.id)) good++;
          bytesChecked += plain.length;
          meter.add(plain.length);
        }
        for (const { plain } of chunks) freeNow(plain); // checked, not kept: free the decode buffer now
        return Promise.resolve();
      }, (id, _tags, reason) => { bad.set(id.toString('hex'), reason); });
      await limiter.drain();
      for (const w of batch) {
        const reason = bad.get(w.id.toString('hex'));
        if (reason) problem(reason);
      }
    };
    // referencedChunks asks this of every image and stream page just before it yields the page's own
    // (meta) reference, then yields the page's chunks unless told to skip (a file tree's catalog pages
    // are not asked: their chunks are counted, never skipped). `page` is the page being walked.
    const walking = new Map<string, number>();
    let page: string | undefined, skipped: number | undefined;
    const skipPage = (pageId: Buffer): boolean => {
      const key = pageId.toString('latin1');
      skipped = bad.size === 0 ? walked.get(key) : undefined;
      page = skipped === undefined ? key : undefined;
      if (page !== undefined) walking.set(page, 0);
      return skipped !== undefined;
    };
    try {
      for await (const { id, meta } of referencedChunks(bank, index, m, skipPage)) {
        if (meta) { // metadata was read and checked on the way
          if (skipped !== undefined) verdict.chunks += skipped;
          skipped = undefined;
          continue;
        }
        verdict.chunks++;
        if (page !== undefined) walking.set(page, walking.get(page)! + 1);
        if (index.isMarked(id)) continue;
        const known = bad.get(id.toString('hex'));
        if (known) { problem(known); continue; }
        // A copy: the id is a view into its page, which would stay alive while the batch waits.
        wants.push({ id: Buffer.from(id), tag: wants.length });
        if (wants.length >= BATCH) await check();
      }
      await check();
      for (const [key, chunks] of walking) walked.set(key, chunks);
    } catch (err) {
      if (!isCairnError(err, 'corrupt')) throw err;
      problem(err.message); // metadata (an index page, the catalog) is damaged: the walk cannot go on
    }
    checkpoints.push(verdict);
  }
  meter.finish();
  return { checkpoints, chunksChecked: good + bad.size, bytesChecked, damagedChunks: bad.size };
}
