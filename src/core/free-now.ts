/**
 * Frees a buffer's memory at once instead of at its isolate's next garbage collection.
 *
 * Why: chunk coding makes several 16-64 KiB native buffers per chunk (cipher and zstd outputs).
 * V8 frees them only when it collects, and it collects by JS heap growth, which is tiny here:
 * measured, ~100 MB of dead buffers piled up per worker thread between collections, so peak RSS
 * grew with every thread. Detaching a buffer (transfer to length 0) drops its backing store now.
 *
 * Only for buffers the caller owns outright: every other view of it becomes empty. Small Buffers
 * share Node's pool slab and cannot be detached; they are left to the collector.
 */
export function freeNow(view: ArrayBufferView | ArrayBuffer): void {
  const buffer = ArrayBuffer.isView(view) ? view.buffer : view;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached || buffer.byteLength <= Buffer.poolSize) return;
  buffer.transfer(0);
}
