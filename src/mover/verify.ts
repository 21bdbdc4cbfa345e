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
    try {
      for await (const { id, meta } of referencedChunks(bank, index, m)) {
        if (meta) continue; // metadata was read and checked on the way
        verdict.chunks++;
        if (index.isMarked(id)) continue;
        const known = bad.get(id.toString('hex'));
        if (known) { problem(known); continue; }
        // A copy: the id is a view into its page, which would stay alive while the batch waits.
        wants.push({ id: Buffer.from(id), tag: wants.length });
        if (wants.length >= BATCH) await check();
      }
      await check();
    } catch (err) {
      if (!isCairnError(err, 'corrupt')) throw err;
      problem(err.message); // metadata (an index page, the catalog) is damaged: the walk cannot go on
    }
    checkpoints.push(verdict);
  }
  meter.finish();
  return { checkpoints, chunksChecked: good + bad.size, bytesChecked, damagedChunks: bad.size };
}
