/**
 * An NBD export as a BlockSource: reads through the client, data extents from `base:allocation`
 * (what reads as zeros is skipped), and, when asked, the dirty extents of a bitmap.
 */
import type { BlockSource } from '../core/block-source.ts';
import type { Extent } from '../core/extent.ts';
import { NbdClient, type NbdTarget } from './nbd-client.ts';
import { STATE_ZERO } from './protocol.ts';

const ALLOCATION = 'base:allocation';

export class NbdBlockSource implements BlockSource {
  readonly description: string;
  readonly #client: NbdClient;

  private constructor(description: string, client: NbdClient) {
    this.description = description;
    this.#client = client;
  }

  /** Connects, with `base:allocation` and the dirty bitmap's context when one is named. */
  static async open(target: NbdTarget, description: string, bitmap?: string): Promise<NbdBlockSource> {
    const contexts = [ALLOCATION, ...(bitmap ? [`qemu:dirty-bitmap:${bitmap}`] : [])];
    return new NbdBlockSource(description, await NbdClient.connect(target, { metaContexts: contexts }));
  }

  get size(): number {
    return this.#client.size;
  }

  read(buf: Uint8Array, length: number, position: number): Promise<number> {
    return this.#client.readSome(buf, length, position);
  }

  async *dataExtents(): AsyncIterable<Extent> {
    for await (const e of this.#client.extents(ALLOCATION)) if (!(e.flags & STATE_ZERO)) yield { offset: e.offset, length: e.length };
  }

  /** The ranges the bitmap named at open marks dirty (whole clusters). */
  dirtyExtents(bitmap: string): Promise<Extent[]> {
    return this.#client.dirtyExtents(bitmap);
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
