/** A writable NBD export as a BlockSink: the volume a restore writes into, read back for an in-place restore. */
import type { BlockSink } from '../core/block-sink.ts';
import type { Extent } from '../core/extent.ts';
import { NbdClient, type NbdTarget } from './nbd-client.ts';

export class NbdBlockSink implements BlockSink {
  readonly zeroed: boolean;
  readonly #client: NbdClient;

  private constructor(client: NbdClient, zeroed: boolean) {
    this.#client = client;
    this.zeroed = zeroed;
  }

  /** `zeroed`: the export is a new, empty image (zero blocks need no writing); `bitmap`: a dirty bitmap to read. */
  static async open(target: NbdTarget, zeroed: boolean, bitmap?: string): Promise<NbdBlockSink> {
    return new NbdBlockSink(await NbdClient.connect(target, bitmap ? { metaContexts: [`qemu:dirty-bitmap:${bitmap}`] } : {}), zeroed);
  }

  /** The ranges the bitmap named at open marks dirty. */
  async dirtyExtents(bitmap: string): Promise<Extent[]> {
    const out: Extent[] = [];
    for await (const e of this.#client.extents(`qemu:dirty-bitmap:${bitmap}`)) if (e.flags & 1) out.push({ offset: e.offset, length: e.length });
    return out;
  }

  get size(): number {
    return this.#client.size;
  }

  write(bytes: Uint8Array, position: number): Promise<void> {
    return this.#client.write(position, bytes);
  }

  async read(buf: Uint8Array, length: number, position: number): Promise<number> {
    const n = Math.max(0, Math.min(length, this.size - position));
    await this.#client.read(position, n, buf, 0);
    return n;
  }

  /** Makes the writes durable, then disconnects. */
  async close(): Promise<void> {
    try {
      await this.#client.flush();
    } finally {
      await this.#client.close();
    }
  }
}
