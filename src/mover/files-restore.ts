/**
 * Restores a file-tree checkpoint (whole, or the paths selected with includes) into a directory,
 * with owners, modes, times, links and xattrs. Contents are fetched per file and checked chunk by chunk.
 */
import type { FileEntry } from '../core/file-entry.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import { CairnError } from '../core/errors.ts';
import type { Bank } from '../bank/bank.ts';
import type { Manifest } from '../bank/manifest.ts';
import { catalogEntries } from '../bank/references.ts';
import type { CodecPool } from './codec-pool.ts';
import { readEntries } from './dynamic-index-reader.ts';
import { createTreeWriter, selectEntries, type RestoreWarning } from './files/restore-tree.ts';

export interface FilesRestoreResult {
  entries: number;
  bytes: number;
  skipped: number;
}

export async function restoreFiles(bank: Bank, pool: CodecPool, m: Manifest, target: string, includes: readonly string[], onProgress?: ProgressListener, onWarning?: (w: RestoreWarning) => void): Promise<FilesRestoreResult> {
  if (m.index.kind !== 'files') throw new CairnError('bad-input', `checkpoint ${m.id} is a ${m.type}, not a file tree`);
  const tree = m.index;
  const index = await bank.loadIndex();
  const meter = new ProgressMeter('restore', includes.length ? 0 : m.sourceBytes, onProgress);
  const writer = await createTreeWriter(target, {
    content: (entry: FileEntry) => contentOf(entry),
    ...(onWarning ? { onWarning } : {}),
  });
  async function* contentOf(entry: FileEntry): AsyncGenerator<Uint8Array> {
    const refs = (entry.content ?? []).map((r) => ({ id: Buffer.from(r.id, 'hex'), size: r.size }));
    for await (const plain of readEntries(bank, pool, index, refs)) {
      meter.add(plain.length);
      yield plain;
    }
  }
  let unmatched: Buffer[] = [];
  const selected = includes.length ? selectEntries(catalogEntries(bank, index, tree), includes, { onUnmatched: (u) => { unmatched = u; } }) : catalogEntries(bank, index, tree);
  for await (const entry of selected) {
    if (includes.length && entry.type === 'file') meter.totalBytes += entry.size;
    await writer.add(entry);
  }
  const summary = await writer.finish();
  meter.finish();
  if (unmatched.length > 0) {
    throw new CairnError('not-found', `no such path in checkpoint ${m.id}: ${unmatched.map((u) => u.toString('utf8')).join(', ')} ('cairn ls ${m.id}' lists the paths)`);
  }
  return summary;
}
