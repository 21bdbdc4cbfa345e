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
import { ContentPrefetcher } from './content-prefetcher.ts';
import { readEntries } from './dynamic-index-reader.ts';
import { Limiter } from './limiter.ts';
import { createTreeWriter, selectEntries, type RestoreWarning } from './files/restore-tree.ts';
import { syncFileSystem } from './files/sync-file-system.ts';

const SMALL_FILE = 1 << 20;
const LOOKAHEAD_ENTRIES = 1024;
const LOOKAHEAD_BYTES = 32 << 20;

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
  // Small files' contents are fetched ahead, many in one fetch, while the writer works through the
  // entries in order: one file at a time would wait for a range read and a decode round trip each.
  const prefetched = new WeakMap<FileEntry, Promise<Buffer[]>>();
  const prefetcher = new ContentPrefetcher(bank, pool, index, new Limiter(pool.threads * 2 + 2));
  const writer = await createTreeWriter(target, {
    content: (entry: FileEntry) => {
      const ready = prefetched.get(entry);
      return ready ? ready.then(counted) : contentOf(entry);
    },
    ...(onWarning ? { onWarning } : {}),
  });
  const refsOf = (entry: FileEntry): { id: Buffer; size: number }[] => (entry.content ?? []).map((r) => ({ id: Buffer.from(r.id, 'hex'), size: r.size }));
  async function* contentOf(entry: FileEntry): AsyncGenerator<Uint8Array> {
    for await (const plain of readEntries(bank, pool, index, refsOf(entry))) {
      meter.add(plain.length);
      yield plain;
    }
  }
  const counted = (content: Buffer[]): Buffer[] => {
    for (const plain of content) meter.add(plain.length);
    return content;
  };

  let unmatched: Buffer[] = [];
  const selected = includes.length ? selectEntries(catalogEntries(bank, index, tree), includes, { onUnmatched: (u) => { unmatched = u; } }) : catalogEntries(bank, index, tree);
  const queue: FileEntry[] = [];
  let aheadBytes = 0;
  const writeHead = async (): Promise<void> => {
    const entry = queue.shift()!;
    if (prefetched.has(entry)) {
      aheadBytes -= entry.size;
      prefetcher.need(entry);
    }
    await writer.add(entry);
  };
  for await (const entry of selected) {
    if (includes.length && entry.type === 'file') meter.totalBytes += entry.size;
    if (entry.type === 'file' && !entry.hardlinkTo && entry.size <= SMALL_FILE && entry.content?.length) {
      const ready = prefetcher.fetch(entry, entry.content);
      ready.catch(() => undefined); // awaited by the writer; failing early must not be unhandled
      prefetched.set(entry, ready);
      aheadBytes += entry.size;
    }
    queue.push(entry);
    while (queue.length > LOOKAHEAD_ENTRIES || aheadBytes > LOOKAHEAD_BYTES) await writeHead();
  }
  while (queue.length > 0) await writeHead();
  const summary = await writer.finish();
  await syncFileSystem(target);
  meter.finish();
  if (unmatched.length > 0) {
    throw new CairnError('not-found', `no such path in checkpoint ${m.id}: ${unmatched.map((u) => u.toString('utf8')).join(', ')} ('cairn ls ${m.id}' lists the paths)`);
  }
  return summary;
}
