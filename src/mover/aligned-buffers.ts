/**
 * Reusable page-aligned buffers, for reads with O_DIRECT (direct-reader.ts).
 *
 * JavaScript cannot ask for alignment, and ArrayBuffers come from malloc (16-byte aligned). The
 * memory of a WebAssembly.Memory is mapped by V8 on its own and starts on a page boundary; a shared
 * one gives a SharedArrayBuffer that worker threads read in place, so batches go to the codec pool
 * without being moved. A buffer is never used by two batches at once: it goes back to the pool only
 * after the batch that used it came back from the workers.
 */
const WASM_PAGE = 64 << 10;

// The WebAssembly global, as far as it is used here (the project's type libraries leave it out).
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
};

/**
 * Page-aligned memory of `size` bytes (a multiple of 64 KiB). Shared, worker threads read it in place;
 * not shared, it is copied into with memmove (a SharedArrayBuffer is copied into byte by byte).
 */
export function alignedMemory(size: number, shared: true): SharedArrayBuffer;
export function alignedMemory(size: number, shared: false): ArrayBuffer;
export function alignedMemory(size: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const pages = size / WASM_PAGE;
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared }).buffer;
}

export class AlignedBuffers {
  readonly size: number;
  readonly #free: SharedArrayBuffer[] = [];
  readonly #keep: number;

  /** Buffers of at least `size` bytes (rounded up to 64 KiB); at most `keep` are kept for reuse. */
  constructor(size: number, keep = 16) {
    this.size = Math.ceil(size / WASM_PAGE) * WASM_PAGE;
    this.#keep = keep;
  }

  take(): SharedArrayBuffer {
    return this.#free.pop() ?? alignedMemory(this.size, true);
  }

  give(buffer: ArrayBuffer | SharedArrayBuffer): void {
    if (buffer instanceof SharedArrayBuffer && buffer.byteLength === this.size && this.#free.length < this.#keep) this.#free.push(buffer);
  }
}
