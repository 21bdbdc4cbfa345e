/**
 * Reads the content of a dynamic index in order: page by page, a window of chunks at a time fetched
 * in parallel, then yielded in order. Memory: one window (WINDOW_BYTES) plus one page.
 */
import { CairnError } from '../core/errors.ts';
import type { Bank } from '../bank/bank.ts';
import type { ChunkIndex } from '../bank/chunk-index.ts';
import { decodeDynamicPage, isZeroId, type DynamicEntry } from '../bank/index-pages.ts';
import type { DynamicIndexRef } from '../bank/manifest.ts';
import type { CodecPool } from './codec-pool.ts';
import { fetchChunks } from './chunk-fetcher.ts';
import { Limiter } from './limiter.ts';

const WINDOW_BYTES = 32 << 20;

export async function* dynamicEntries(bank: Bank, index: ChunkIndex, ref: DynamicIndexRef): AsyncGenerator<DynamicEntry> {
  for (const [i, page] of ref.pages.entries()) {
    const entries = decodeDynamicPage(await bank.readChunk(index, Buffer.from(page.id, 'hex')), `page ${i}`);
    if (entries.length !== page.chunks) throw new CairnError('corrupt', `dynamic page ${page.id} holds ${entries.length} entries, its index says ${page.chunks}`);
    yield* entries;
  }
}

/** Yields the plaintext of each entry, in order; zero entries as zero-filled buffers. */
export async function* readEntries(bank: Bank, pool: CodecPool, index: ChunkIndex, entries: AsyncIterable<DynamicEntry> | Iterable<DynamicEntry>): AsyncGenerator<Buffer> {
  let window: DynamicEntry[] = [];
  let bytes = 0;
  const limiter = new Limiter(pool.threads * 2 + 2);
  for await (const e of entries) {
    window.push({ id: Buffer.from(e.id), size: e.size });
    bytes += e.size;
    if (bytes >= WINDOW_BYTES) {
      yield* await fetchEntries(bank, pool, index, limiter, window);
      window = [];
      bytes = 0;
    }
  }
  if (window.length) yield* await fetchEntries(bank, pool, index, limiter, window);
}

/**
 * The plaintexts of `entries`, in order, fetched together (chunks that share a frame open it once);
 * zero entries as zero-filled buffers, every length checked against its entry.
 */
export async function fetchEntries(bank: Bank, pool: CodecPool, index: ChunkIndex, limiter: Limiter, entries: readonly DynamicEntry[]): Promise<Buffer[]> {
  const got = new Map<number, Buffer>();
  const wants = entries.flatMap((e, tag) => (isZeroId(e.id) ? [] : [{ id: e.id, tag }]));
  await fetchChunks(bank, pool, index, limiter, wants, (chunks) => {
    for (const { plain, tags } of chunks) for (const t of tags) got.set(t, plain);
    return Promise.resolve();
  });
  return entries.map((e, tag) => {
    const plain = isZeroId(e.id) ? Buffer.alloc(e.size) : got.get(tag)!;
    if (plain.length !== e.size) throw new CairnError('corrupt', `chunk ${e.id.toString('hex')} holds ${plain.length} bytes, its index says ${e.size}`);
    return plain;
  });
}
