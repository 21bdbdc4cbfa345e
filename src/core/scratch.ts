/**
 * A reusable buffer that grows to the largest size asked of it. For per-thread temporaries of the
 * codec (frame plaintexts, compressed frames, decryption arenas): allocating them per call left
 * megabyte buffers to a collector that rarely runs in the worker threads.
 */
import { freeNow } from './free-now.ts';

export class Scratch {
  #buf = Buffer.alloc(0);

  /** At least `size` bytes; valid until the next call. */
  get(size: number): Buffer {
    if (this.#buf.length < size) {
      freeNow(this.#buf);
      this.#buf = Buffer.allocUnsafeSlow(size);
    }
    return this.#buf;
  }
}
