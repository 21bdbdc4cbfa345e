/**
 * Fetches the contents of many small files together: their chunks usually share frames (a backup
 * seals the new chunks of a batch of files into one frame), so one fetch per file would open the same
 * frame again for every file in it. Files are collected until a batch is worth a fetch, or until the
 * writer needs one of them; each file's promise resolves with its content, checked chunk by chunk.
 */
import type { ChunkRef } from '../core/file-entry.ts';
import type { Bank } from '../bank/bank.ts';
import type { ChunkIndex } from '../bank/chunk-index.ts';
import type { CodecPool } from './codec-pool.ts';
import { fetchEntries } from './dynamic-index-reader.ts';
import type { Limiter } from './limiter.ts';

const BATCH_BYTES = 4 << 20;
const BATCH_FILES = 512;

interface Pending {
  key: object;
  refs: readonly ChunkRef[];
  resolve: (content: Buffer[]) => void;
  reject: (err: unknown) => void;
}

export class ContentPrefetcher {
  readonly #bank: Bank;
  readonly #pool: CodecPool;
  readonly #index: ChunkIndex;
  readonly #limiter: Limiter;
  #batch: Pending[] = [];
  #bytes = 0;

  constructor(bank: Bank, pool: CodecPool, index: ChunkIndex, limiter: Limiter) {
    this.#bank = bank;
    this.#pool = pool;
    this.#index = index;
    this.#limiter = limiter;
  }

  /** The content of a file (`key` names it), as one buffer per content ref. Call `need` before waiting for it. */
  fetch(key: object, refs: readonly ChunkRef[]): Promise<Buffer[]> {
    const content = new Promise<Buffer[]>((resolve, reject) => {
      this.#batch.push({ key, refs, resolve, reject });
    });
    for (const r of refs) this.#bytes += r.size;
    if (this.#bytes >= BATCH_BYTES || this.#batch.length >= BATCH_FILES) this.#flush();
    return content;
  }

  /** Makes sure the fetch of `key` has started: the caller is about to wait for it. */
  need(key: object): void {
    if (this.#batch.some((p) => p.key === key)) this.#flush();
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#bytes = 0;
    if (batch.length > 0) void this.#fetchBatch(batch);
  }

  async #fetchBatch(batch: Pending[]): Promise<void> {
    const refs = batch.flatMap((p) => p.refs.map((r) => ({ id: Buffer.from(r.id, 'hex'), size: r.size })));
    let content: Buffer[];
    try {
      content = await fetchEntries(this.#bank, this.#pool, this.#index, this.#limiter, refs);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let at = 0;
    for (const p of batch) {
      // Own copies of small pieces: a view would keep a whole range's plaintext alive while the file
      // waits in the restore's lookahead.
      p.resolve(content.slice(at, at + p.refs.length).map((c) => (c.buffer.byteLength > 2 * c.length ? Buffer.from(c) : c)));
      at += p.refs.length;
    }
  }
}
