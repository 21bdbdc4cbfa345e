/**
 * The one port to object storage. Keys are relative, '/'-separated paths ("packs/ab/ab12…").
 *
 * Contract every implementation honours (checked by test/storage/conformance.ts):
 * - put is atomic: a reader sees either no object or the whole object, never a prefix;
 *   a put over an existing key replaces it atomically.
 * - get/getRange/head of a missing key: get and getRange throw CairnError 'not-found', head returns undefined.
 * - getRange past the end returns the bytes that exist (possibly fewer than asked).
 * - list yields every object whose key starts with the prefix, in no particular order;
 *   objects being written (temporary files) are never listed.
 * - delete is idempotent: deleting a missing key succeeds.
 * - errors are CairnError with code 'storage' (transient set when a retry may help) or 'not-found'.
 * - conditional writes are not offered: the bank format must not need them.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification time in ms since the epoch, as the store reports it. */
  modifiedAt: number;
}

export interface StorageBackend {
  /** A human-readable location for messages; never contains credentials. */
  readonly location: string;
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
