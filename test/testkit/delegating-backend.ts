// Fault injection: a StorageBackend that passes every call to another, for test decorators to
// override the one call they disturb (a held listing, a failing or late write, an object deleted
// just before it is read).
import type { ObjectInfo, StorageBackend } from '../../src/core/storage-backend.ts';

export class DelegatingBackend implements StorageBackend {
  protected readonly inner: StorageBackend;

  constructor(inner: StorageBackend) {
    this.inner = inner;
  }

  get location(): string { return this.inner.location; }
  list(prefix: string): AsyncIterable<ObjectInfo> { return this.inner.list(prefix); }
  put(key: string, data: Uint8Array): Promise<void> { return this.inner.put(key, data); }
  get(key: string): Promise<Uint8Array> { return this.inner.get(key); }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> { return this.inner.getRange(key, offset, length); }
  head(key: string): Promise<ObjectInfo | undefined> { return this.inner.head(key); }
  delete(key: string): Promise<void> { return this.inner.delete(key); }
  close(): Promise<void> { return this.inner.close(); }
}
