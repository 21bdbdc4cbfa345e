/**
 * Turns a sequence of objects (one stream, or the contents of many files) into stored chunks.
 *
 * Bytes are staged in a buffer, cut with content-defined chunking (a cut is always made at the end
 * of an object), and each full staging buffer goes to the codec pool as one task, so a thousand
 * small files cost a few tasks rather than a thousand. Results come back out of order; the sink
 * receives chunk refs and object ends strictly in order, which lets callers write index pages and
 * catalogs as they go, with memory bounded by the staging buffers in flight.
 */
import type { BackupSession } from '../bank/backup-session.ts';
import { ENVELOPE_OVERHEAD } from '../bank/envelope.ts';
import { ZERO_ID, type DynamicEntry } from '../bank/index-pages.ts';
import type { ChunkType } from '../bank/pack-format.ts';
import { BufferPool } from './buffer-pool.ts';
import type { CdcChunker } from './cdc-chunker.ts';
import type { CodecPool, EncodeResult } from './codec-pool.ts';
import type { Limiter } from './limiter.ts';

export interface ContentSink {
  chunk(object: number, entry: DynamicEntry): void | Promise<void>;
  end(object: number): void | Promise<void>;
}

interface Batch {
  done: boolean;
  objects: number[];
  sizes: number[];
  result?: EncodeResult;
  ends: number[];
}

export class ContentWriter {
  readonly #session: BackupSession;
  readonly #pool: CodecPool;
  readonly #chunker: CdcChunker;
  readonly #sink: ContentSink;
  readonly #limiter: Limiter;
  readonly #type: ChunkType;
  readonly #level: number;
  readonly #stages: BufferPool;
  readonly #outs: BufferPool;
  readonly #queue: Batch[] = [];
  #drain: Promise<void> = Promise.resolve();
  #stage: Uint8Array;
  #len = 0;
  #decided = 0;
  #bounds: number[] = [0];
  #objects: number[] = [];
  #ends: number[] = [];
  #current = -1;
  #next = 0;
  storedBytes = 0;

  constructor(session: BackupSession, pool: CodecPool, chunker: CdcChunker, sink: ContentSink, options: { limiter: Limiter; type: ChunkType; level: number }) {
    this.#session = session;
    this.#pool = pool;
    this.#chunker = chunker;
    this.#sink = sink;
    this.#limiter = options.limiter;
    this.#type = options.type;
    this.#level = options.level;
    const size = Math.max(4 << 20, 3 * chunker.maxSize);
    this.#stages = new BufferPool(size);
    // Worst case every chunk is the minimum size and incompressible.
    this.#outs = new BufferPool(size + Math.ceil(size / Math.min(chunker.minSize, 4096) + 1) * ENVELOPE_OVERHEAD);
    this.#stage = new Uint8Array(this.#stages.take());
  }

  /** Starts the next object; returns its number (0, 1, 2, …). */
  begin(): number {
    this.#current = this.#next++;
    return this.#current;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, this.#stage.length - this.#len);
      this.#stage.set(bytes.subarray(off, off + n), this.#len);
      this.#len += n;
      off += n;
      if (this.#len === this.#stage.length) {
        this.#cut(true);
        await this.#dispatch();
      }
    }
  }

  /** Ends the current object: its last chunk is cut here. */
  async end(): Promise<void> {
    this.#cut(false);
    this.#ends.push(this.#current);
    if (this.#len >= this.#stage.length / 2) await this.#dispatch();
  }

  /** Sends what is staged and waits until the sink has seen everything. */
  async finish(): Promise<void> {
    await this.#dispatch();
    await this.#limiter.drain();
    await this.#drain;
  }

  #cut(more: boolean): void {
    const region = this.#stage.subarray(this.#decided, this.#len);
    for (const end of this.#chunker.cuts(region, more)) {
      this.#bounds.push(this.#decided + end);
      this.#objects.push(this.#current);
    }
    this.#decided = this.#bounds.at(-1)!;
  }

  async #dispatch(): Promise<void> {
    if (this.#bounds.length === 1 && this.#ends.length === 0) return;
    const batch: Batch = { done: false, objects: this.#objects, sizes: [], ends: this.#ends };
    const bounds = this.#bounds;
    for (let i = 1; i < bounds.length; i++) batch.sizes.push(bounds[i]! - bounds[i - 1]!);
    this.#queue.push(batch);
    const full = this.#stage;
    const tail = full.subarray(this.#decided, this.#len);
    this.#stage = new Uint8Array(this.#stages.take());
    this.#stage.set(tail);
    this.#len = tail.length;
    this.#decided = 0;
    this.#bounds = [0];
    this.#objects = [];
    this.#ends = [];
    if (batch.sizes.length === 0) {
      this.#stages.give(full.buffer as ArrayBuffer);
      this.#complete(batch);
      return;
    }
    await this.#limiter.run(async () => {
      batch.result = await this.#pool.encode({ data: full.buffer as ArrayBuffer, bounds, detectZero: true, level: this.#level, out: this.#outs.take() });
      this.#stages.give(batch.result.data);
      this.#complete(batch);
      await this.#drain;
    });
  }

  #complete(batch: Batch): void {
    batch.done = true;
    this.#drain = this.#drain.then(async () => {
      while (this.#queue[0]?.done) await this.#emit(this.#queue.shift()!);
    });
  }

  async #emit(batch: Batch): Promise<void> {
    const r = batch.result;
    if (r) {
      const ids = new Uint8Array(r.ids), lengths = new Int32Array(r.lengths), out = new Uint8Array(r.out);
      let at = 0;
      for (let i = 0; i < batch.sizes.length; i++) {
        const len = lengths[i]!, size = batch.sizes[i]!;
        let id: Buffer = ZERO_ID;
        if (len >= 0) {
          id = Buffer.from(ids.subarray(i * 32, i * 32 + 32));
          if (len > 0) {
            await this.#session.store(this.#type, id, out.subarray(at, at + len), size);
            at += len;
          }
          this.storedBytes += this.#session.storedLength(id);
        }
        await this.#sink.chunk(batch.objects[i]!, { id, size });
      }
      this.#outs.give(r.out);
    }
    for (const o of batch.ends) await this.#sink.end(o);
  }
}
