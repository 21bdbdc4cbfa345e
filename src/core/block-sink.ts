/**
 * Where an image restore writes: a file, a block device, or an NBD export of a volume.
 * Whoever opens a sink makes it durable and closes it.
 */
export interface BlockSink {
  readonly size: number;
  /** Unwritten ranges read as zeros (a new file or image): zero blocks are not written. */
  readonly zeroed: boolean;
  write(bytes: Uint8Array, position: number): Promise<void>;
  /**
   * Reads what the target holds (into the start of `buf`), for a restore in place that writes only
   * the blocks that differ; absent where the target cannot be read back.
   */
  read?(buf: Uint8Array, length: number, position: number): Promise<number>;
}
