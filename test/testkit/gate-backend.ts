// Fault injection: a StorageBackend decorator that holds the first listing of a prefix until released,
// to run another actor at an exact point of an operation (e.g. commit a backup while GC is marking).
import type { ObjectInfo, StorageBackend } from '../../src/core/storage-backend.ts';

export class GateBackend implements StorageBackend {
  readonly #inner: StorageBackend;
  readonly #prefix: string;
  #held = false;
  readonly reached: Promise<void>;
  #reach!: () => void;
  #open!: () => void;
  readonly #gate: Promise<void>;

  constructor(inner: StorageBackend, holdListOf: string) {
    this.#inner = inner;
    this.#prefix = holdListOf;
    this.reached = new Promise((r) => { this.#reach = r; });
    this.#gate = new Promise((r) => { this.#open = r; });
  }

  get location(): string { return this.#inner.location; }
  release(): void { this.#open(); }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix === this.#prefix && !this.#held) {
      this.#held = true;
      this.#reach();
      await this.#gate;
    }
    yield* this.#inner.list(prefix);
  }

  put(key: string, data: Uint8Array): Promise<void> { return this.#inner.put(key, data); }
  get(key: string): Promise<Uint8Array> { return this.#inner.get(key); }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> { return this.#inner.getRange(key, offset, length); }
  head(key: string): Promise<ObjectInfo | undefined> { return this.#inner.head(key); }
  delete(key: string): Promise<void> { return this.#inner.delete(key); }
  close(): Promise<void> { return this.#inner.close(); }
}
