/**
 * A writable NBD export as a BlockSink: the volume a restore writes into, read back for an in-place
 * restore. Writes are pipelined: write() returns once the bytes have left (the caller may reuse its
 * buffer), with up to WRITES_IN_FLIGHT unacknowledged; a refused write fails a later write or close().
 */
import type { BlockSink } from '../core/block-sink.ts';
import type { Extent } from '../core/extent.ts';
import { NbdClient, type NbdTarget } from './nbd-client.ts';

const WRITES_IN_FLIGHT = 64;

export class NbdBlockSink implements BlockSink {
  readonly zeroed: boolean;
  readonly #client: NbdClient;
  readonly #acks = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  private constructor(client: NbdClient, zeroed: boolean) {
    this.#client = client;
    this.zeroed = zeroed;
  }

  /** `zeroed`: the export is a new, empty image (zero blocks need no writing); `bitmap`: a dirty bitmap to read. */
  static async open(target: NbdTarget, zeroed: boolean, bitmap?: string): Promise<NbdBlockSink> {
    return new NbdBlockSink(await NbdClient.connect(target, bitmap ? { metaContexts: [`qemu:dirty-bitmap:${bitmap}`] } : {}), zeroed);
  }

  /** The ranges the bitmap named at open marks dirty (whole clusters). */
  dirtyExtents(bitmap: string): Promise<Extent[]> {
    return this.#client.dirtyExtents(bitmap);
  }

  get size(): number {
    return this.#client.size;
  }

  async write(bytes: Uint8Array, position: number): Promise<void> {
    this.#throwIfFailed();
    const { sent, done } = this.#client.send(position, bytes);
    const ack: Promise<void> = done.catch((error: unknown) => { this.#failure ??= { error }; }).finally(() => this.#acks.delete(ack));
    this.#acks.add(ack);
    await sent.catch(() => undefined);
    while (this.#acks.size > WRITES_IN_FLIGHT) await Promise.race(this.#acks);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  read(buf: Uint8Array, length: number, position: number): Promise<number> {
    return this.#client.readSome(buf, length, position);
  }

  /** Waits for every write, makes them durable, then disconnects. */
  async close(): Promise<void> {
    try {
      await Promise.all(this.#acks);
      this.#throwIfFailed();
      await this.#client.flush();
    } finally {
      await this.#client.close();
    }
  }
}
