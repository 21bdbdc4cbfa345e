/**
 * Turns a file's content, arriving in chunks of any size, into the writes that restore it sparsely:
 * 64 KiB blocks (aligned on file offsets) that are all zero are left out, the others are grouped
 * into runs of consecutive blocks, each one vectored write. Runs hold views into the chunks (a
 * block may span several), never copies, so the chunks must stay intact until their runs are written.
 */
import { Buffer } from 'node:buffer';

export const BLOCK = 64 * 1024;
const MAX_RUN = 16;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export interface WriteRun {
  offset: number;
  buffers: Buffer[];
}

export class BlockRuns {
  readonly #sparse: boolean;
  /** The block being filled: views into chunks, #fill bytes in all. */
  #parts: Buffer[] = [];
  #fill = 0;
  #run: WriteRun | undefined;
  #runBlocks = 0;
  /** File offset of the next block, and the end of the last one that is written. */
  #offset = 0;
  #writtenEnd = 0;

  constructor(sparse: boolean) {
    this.#sparse = sparse;
  }

  /** Takes the next piece of content; returns the runs that are complete. */
  push(chunk: Uint8Array): WriteRun[] {
    const done: WriteRun[] = [];
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let pos = 0; pos < bytes.length;) {
      const n = Math.min(BLOCK - this.#fill, bytes.length - pos);
      this.#parts.push(bytes.subarray(pos, pos + n));
      this.#fill += n;
      pos += n;
      if (this.#fill === BLOCK) this.#block(done);
    }
    return done;
  }

  /** Ends the content: the last runs, the file's length, and whether it ends in a hole (truncate to it then). */
  end(): { runs: WriteRun[]; length: number; endsInHole: boolean } {
    const done: WriteRun[] = [];
    if (this.#fill > 0) this.#block(done);
    this.#endRun(done);
    return { runs: done, length: this.#offset, endsInHole: this.#writtenEnd !== this.#offset };
  }

  #block(done: WriteRun[]): void {
    const parts = this.#parts, length = this.#fill;
    this.#parts = [];
    this.#fill = 0;
    if (this.#sparse && parts.every((p) => p.equals(ZERO_BLOCK.subarray(0, p.length)))) {
      this.#endRun(done);
    } else {
      this.#run ??= { offset: this.#offset, buffers: [] };
      this.#run.buffers.push(...parts);
      this.#writtenEnd = this.#offset + length;
      if (++this.#runBlocks >= MAX_RUN) this.#endRun(done);
    }
    this.#offset += length;
  }

  #endRun(done: WriteRun[]): void {
    if (this.#run) done.push(this.#run);
    this.#run = undefined;
    this.#runBlocks = 0;
  }
}
