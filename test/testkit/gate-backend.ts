// Fault injection: a StorageBackend decorator that holds the first listing of a prefix until released,
// to run another actor at an exact point of an operation (e.g. commit a backup while GC is marking).
import type { ObjectInfo, StorageBackend } from '../../src/core/storage-backend.ts';
import { DelegatingBackend } from './delegating-backend.ts';

export class GateBackend extends DelegatingBackend {
  readonly #prefix: string;
  #held = false;
  readonly reached: Promise<void>;
  #reach!: () => void;
  #open!: () => void;
  readonly #gate: Promise<void>;

  constructor(inner: StorageBackend, holdListOf: string) {
    super(inner);
    this.#prefix = holdListOf;
    this.reached = new Promise((r) => { this.#reach = r; });
    this.#gate = new Promise((r) => { this.#open = r; });
  }

  release(): void { this.#open(); }

  override async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix === this.#prefix && !this.#held) {
      this.#held = true;
      this.#reach();
      await this.#gate;
    }
    yield* this.inner.list(prefix);
  }
}
