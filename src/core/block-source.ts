import type { Extent } from './extent.ts';

/**
 * A disk's bytes as an image backup reads them: a local image file or device, or an NBD export.
 * Whoever opens a source closes it.
 */
export interface BlockSource {
  /** Size in bytes. */
  readonly size: number;
  /** Says what the source is, in errors: "/var/lib/images/a.img", "the NBD export of a.qcow2". */
  readonly description: string;
  /**
   * Reads `length` bytes at `position` into the start of `buf` (which may be larger, page-aligned
   * shared memory); returns the bytes read, fewer only at the end of the source.
   */
  read(buf: Uint8Array, length: number, position: number): Promise<number>;
  /** The ranges that may hold data, sorted and disjoint; everything else reads as zeros and is not read. */
  dataExtents(): AsyncIterable<Extent>;
  close(): Promise<void>;
}
