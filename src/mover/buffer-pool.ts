/**
 * Reuses large buffers. A backup moves gigabytes through a handful of multi-MiB buffers; allocating
 * each anew leaves the garbage to worker isolates that rarely collect, and RSS balloons.
 */
export class BufferPool {
  readonly size: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #keep: number;

  constructor(size: number, keep = 16) {
    this.size = size;
    this.#keep = keep;
  }

  take(): ArrayBuffer {
    return this.#free.pop() ?? new ArrayBuffer(this.size);
  }

  give(buffer: ArrayBuffer | SharedArrayBuffer): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength === this.size && !buffer.detached && this.#free.length < this.#keep) this.#free.push(buffer);
  }
}
