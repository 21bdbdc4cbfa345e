import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CairnError, isCairnError } from '../../src/core/errors.ts';
import type { ObjectInfo, StorageBackend } from '../../src/core/storage-backend.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { RetryBackend } from '../../src/storage/retry-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { storageConformance } from './conformance.ts';

// The decorator must itself honour the contract.
storageConformance('RetryBackend over LocalBackend', async (t) => new RetryBackend(new LocalBackend(await tempDir(t, 'cairn-retry-'))));

/** Fault injection: the next `failures` calls throw `error`; list fails after yielding `listAfter` items. */
class FaultyBackend implements StorageBackend {
  readonly location: string;
  readonly inner: StorageBackend;
  failures = 0;
  listAfter = Infinity;
  error = new CairnError('storage', 'injected', { transient: true });
  calls = 0;

  constructor(inner: StorageBackend) {
    this.inner = inner;
    this.location = inner.location;
  }

  #fault(): void {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw this.error;
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> { this.#fault(); return this.inner.put(key, data); }
  async get(key: string): Promise<Uint8Array> { this.#fault(); return this.inner.get(key); }
  async getRange(key: string, o: number, l: number): Promise<Uint8Array> { this.#fault(); return this.inner.getRange(key, o, l); }
  async head(key: string): Promise<ObjectInfo | undefined> { this.#fault(); return this.inner.head(key); }
  async delete(key: string): Promise<void> { this.#fault(); return this.inner.delete(key); }
  close(): Promise<void> { return this.inner.close(); }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.#fault();
    let n = 0;
    for await (const info of this.inner.list(prefix)) {
      if (n++ === this.listAfter) {
        this.listAfter = Infinity;
        throw this.error;
      }
      yield info;
    }
  }
}

describe('RetryBackend', () => {
  const setup = async (t: Parameters<typeof tempDir>[0]): Promise<{ faulty: FaultyBackend; retry: RetryBackend }> => {
    const faulty = new FaultyBackend(new LocalBackend(await tempDir(t, 'cairn-retry-')));
    return { faulty, retry: new RetryBackend(faulty, { attempts: 4, baseDelayMs: 1 }) };
  };

  test('retries transient errors until the call succeeds', async (t) => {
    const { faulty, retry } = await setup(t);
    faulty.failures = 3;
    await retry.put('k', new Uint8Array([1]));
    assert.equal(faulty.calls, 4);
    assert.deepEqual(await retry.get('k'), new Uint8Array([1]));
  });

  test('gives up after the last attempt, saying so, and the error stays transient', async (t) => {
    const { faulty, retry } = await setup(t);
    faulty.failures = 10;
    await assert.rejects(retry.head('k'), (err) => isCairnError(err, 'storage') && err.transient && /gave up after 4 attempts/.test(err.message));
    assert.equal(faulty.calls, 4);
  });

  test('permanent errors and not-found pass through at once', async (t) => {
    const { faulty, retry } = await setup(t);
    faulty.failures = 1;
    faulty.error = new CairnError('storage', 'access denied');
    await assert.rejects(retry.delete('k'), (err) => err === faulty.error);
    assert.equal(faulty.calls, 1);
    await assert.rejects(retry.get('missing'), (err) => isCairnError(err, 'not-found'));
    assert.equal(faulty.calls, 2);
  });

  test('a list that fails midway restarts and yields every key exactly once', async (t) => {
    const { faulty, retry } = await setup(t);
    const keys = Array.from({ length: 20 }, (_, i) => `l/${i}`);
    for (const k of keys) await faulty.inner.put(k, new Uint8Array(1));
    faulty.listAfter = 7;
    const seen: string[] = [];
    for await (const info of retry.list('l/')) seen.push(info.key);
    assert.deepEqual(seen.sort(), keys.sort());
  });
});
