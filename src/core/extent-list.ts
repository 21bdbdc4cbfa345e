/**
 * Sorted, disjoint byte ranges in two typed arrays: 16 bytes per extent, where an array of objects
 * took ~70 (and twice that while it was normalized). A fragmented raw image of a TiB can map to a
 * million data extents.
 */
import type { Extent } from './extent.ts';

export class ExtentList {
  #starts = new Float64Array(64);
  #ends = new Float64Array(64);
  #length = 0;

  /** Sorts and merges overlapping or touching extents, as they come (sorted input costs no sort). */
  static async from(extents: AsyncIterable<Extent> | Iterable<Extent>): Promise<ExtentList> {
    const list = new ExtentList();
    let sorted = true;
    for await (const e of extents) {
      if (e.length <= 0) continue;
      if (list.#length > 0 && e.offset < list.#starts[list.#length - 1]!) sorted = false;
      list.#append(e.offset, e.offset + e.length);
    }
    return sorted ? list : list.#normalized();
  }

  get length(): number {
    return this.#length;
  }

  start(i: number): number {
    return this.#starts[i]!;
  }

  end(i: number): number {
    return this.#ends[i]!;
  }

  /** Index of the first extent that ends after `offset` (length if none). */
  firstEnding(offset: number): number {
    let lo = 0, hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid]! <= offset) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /**
   * The blocks (of `blockSize` bytes, numbered from `first`, `count` of them) that the extents touch,
   * as runs [a, b) of indices relative to `first`.
   */
  *touchedBlocks(first: number, count: number, blockSize: number): Generator<[number, number]> {
    const start = first * blockSize, end = (first + count) * blockSize;
    for (let k = this.firstEnding(start); k < this.#length && this.start(k) < end; k++) {
      yield [Math.max(0, Math.floor((this.start(k) - start) / blockSize)), Math.min(count, Math.ceil((Math.min(this.end(k), end) - start) / blockSize))];
    }
  }

  /** The overlap with another list, by a single merge. */
  intersect(other: ExtentList): ExtentList {
    const out = new ExtentList();
    for (let i = 0, j = 0; i < this.#length && j < other.#length;) {
      const s = Math.max(this.start(i), other.start(j)), e = Math.min(this.end(i), other.end(j));
      if (e > s) out.#append(s, e);
      if (this.end(i) <= other.end(j)) i++; else j++;
    }
    return out;
  }

  /** Appends [start, end); merges it into the last extent when they overlap or touch and it starts no earlier. */
  #append(start: number, end: number): void {
    const n = this.#length;
    if (n > 0 && start >= this.#starts[n - 1]! && start <= this.#ends[n - 1]!) {
      this.#ends[n - 1] = Math.max(this.#ends[n - 1]!, end);
      return;
    }
    if (n === this.#starts.length) {
      const starts = new Float64Array(n * 2), ends = new Float64Array(n * 2);
      starts.set(this.#starts);
      ends.set(this.#ends);
      this.#starts = starts;
      this.#ends = ends;
    }
    this.#starts[n] = start;
    this.#ends[n] = end;
    this.#length = n + 1;
  }

  #normalized(): ExtentList {
    const order = Array.from({ length: this.#length }, (_, i) => i).sort((a, b) => this.#starts[a]! - this.#starts[b]!);
    const out = new ExtentList();
    for (const i of order) out.#append(this.#starts[i]!, this.#ends[i]!);
    return out;
  }
}
