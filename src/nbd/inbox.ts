/**
 * Bytes received on a socket, taken in exact amounts. The handshake awaits them (`read`); the
 * transmission phase takes what is there (`take`, `copyInto`) each time more arrives.
 */
export class Inbox {
  readonly #chunks: Buffer[] = [];
  #head = 0; // bytes of #chunks[0] already taken
  #length = 0;
  #waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  #error: Error | undefined;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    const w = this.#waiter;
    if (w && this.#length >= w.n) {
      this.#waiter = undefined;
      w.resolve(this.take(w.n));
    }
  }

  /** No more bytes will come: a pending and every later `read` fails with `error`. */
  fail(error: Error): void {
    this.#error ??= error;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#error);
  }

  /** The next `n` bytes, when they have arrived. One read at a time. */
  read(n: number): Promise<Buffer> {
    if (this.#length >= n) return Promise.resolve(this.take(n));
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => { this.#waiter = { n, resolve, reject }; });
  }

  /** The big-endian 32-bit word at the front, not taken (4 bytes must be there). */
  peekUInt32(): number {
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= 4) return first.readUInt32BE(this.#head);
    const b = Buffer.allocUnsafe(4);
    let k = 0;
    for (let c = 0, h = this.#head; k < 4; c++, h = 0) for (let i = h; i < this.#chunks[c]!.length && k < 4; i++) b[k++] = this.#chunks[c]![i]!;
    return b.readUInt32BE(0);
  }

  /** The next `n` bytes, which must be there. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  /** Moves the next `n` bytes (which must be there) into `target` at `at`; null target discards them. */
  copyInto(target: Uint8Array | null, at: number, n: number): void {
    if (n > this.#length) throw new Error(`inbox: ${n} bytes wanted, ${this.#length} there`);
    let done = 0;
    while (done < n) {
      const chunk = this.#chunks[0]!;
      const k = Math.min(n - done, chunk.length - this.#head);
      if (target) target.set(chunk.subarray(this.#head, this.#head + k), at + done);
      done += k;
      this.#head += k;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#length -= n;
  }
}
