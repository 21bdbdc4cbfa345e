/**
 * Bytes received on a socket during the handshake, taken in exact amounts (`read` waits for them).
 * The transmission phase frames replies itself (reply-reader.ts).
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

  /** The next `n` bytes, which must be there. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  /** Moves the next `n` bytes (which must be there) into `target` at `at`. */
  copyInto(target: Uint8Array, at: number, n: number): void {
    if (n > this.#length) throw new Error(`inbox: ${n} bytes wanted, ${this.#length} there`);
    let done = 0;
    while (done < n) {
      const chunk = this.#chunks[0]!;
      const k = Math.min(n - done, chunk.length - this.#head);
      target.set(chunk.subarray(this.#head, this.#head + k), at + done);
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
