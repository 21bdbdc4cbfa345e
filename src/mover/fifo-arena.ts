/**
 * One buffer lent out in regions that come back in the order they were taken (a ring). Read-ahead
 * fills regions and consumes them in order; without it, every file read ahead was a buffer of its
 * own, and the garbage those left drove V8 into a major collection every few dozen megabytes.
 */
export class FifoArena {
  readonly #buf: Buffer;
  /** Regions lent, oldest first. */
  readonly #lent: { start: number; end: number }[] = [];

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafeSlow(size);
  }

  get size(): number {
    return this.#buf.length;
  }

  /** A region of `length` bytes, or undefined until older regions come back. Regions never wrap around. */
  take(length: number): Buffer | undefined {
    const start = this.#place(length);
    if (start === undefined) return undefined;
    this.#lent.push({ start, end: start + length });
    return this.#buf.subarray(start, start + length);
  }

  #place(length: number): number | undefined {
    if (length === 0) return 0; // takes no room; lent only to keep taking and giving back in step
    if (length > this.#buf.length) return undefined;
    // Empty regions take no room: they must not count as the oldest or the newest.
    const oldest = this.#lent.find((r) => r.end > r.start), newest = this.#lent.findLast((r) => r.end > r.start);
    if (!oldest || !newest) return 0;
    if (newest.start >= oldest.start) {
      // Free: [newest.end, size) and [0, oldest.start).
      if (newest.end + length <= this.#buf.length) return newest.end;
      return length <= oldest.start ? 0 : undefined;
    }
    // Wrapped: free is [newest.end, oldest.start).
    return newest.end + length <= oldest.start ? newest.end : undefined;
  }

  /** Gives back the oldest region. */
  giveBack(): void {
    this.#lent.shift();
  }
}
