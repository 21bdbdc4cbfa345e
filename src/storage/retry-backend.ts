/**
 * Decorator that retries calls failing with a transient CairnError (network, throttling, 5xx),
 * with exponential backoff and full jitter. Permanent errors and 'not-found' pass through at once.
 *
 * Retrying is safe because every StorageBackend call is idempotent: a put repeats the same bytes
 * under the same key, a delete of a deleted key succeeds. A list that fails midway restarts and
 * skips the keys it has already yielded, so callers see each key at most once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, isCairnError } from '../core/errors.ts';
import type { ObjectInfo, StorageBackend } from '../core/storage-backend.ts';

export interface RetryOptions {
  /** Total tries per call, the first included; default 5. */
  attempts?: number;
  /** The delay before retry n is random in [0, baseDelayMs * 2^n), capped by maxDelayMs; default 200. */
  baseDelayMs?: number;
  /** Default 10,000. */
  maxDelayMs?: number;
}

export class RetryBackend implements StorageBackend {
  readonly location: string;
  readonly #inner: StorageBackend;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(inner: StorageBackend, options: RetryOptions = {}) {
    this.#inner = inner;
    this.location = inner.location;
    this.#attempts = Math.max(1, options.attempts ?? 5);
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#maxDelayMs = options.maxDelayMs ?? 10_000;
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.#retry(() => this.#inner.put(key, data));
  }

  get(key: string): Promise<Uint8Array> {
    return this.#retry(() => this.#inner.get(key));
  }

  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.#retry(() => this.#inner.getRange(key, offset, length));
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.#retry(() => this.#inner.head(key));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const seen = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const info of this.#inner.list(prefix)) {
          if (seen.has(info.key)) continue;
          seen.add(info.key);
          yield info;
        }
        return;
      } catch (err) {
        if (!this.#shouldRetry(err, attempt)) throw this.#final(err, attempt);
        await this.#pause(attempt);
      }
    }
  }

  delete(key: string): Promise<void> {
    return this.#retry(() => this.#inner.delete(key));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #retry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!this.#shouldRetry(err, attempt)) throw this.#final(err, attempt);
        await this.#pause(attempt);
      }
    }
  }

  #shouldRetry(err: unknown, attempt: number): boolean {
    return attempt < this.#attempts && isCairnError(err) && err.transient;
  }

  /** A transient error that exhausted the attempts says so; it stays transient for callers higher up. */
  #final(err: unknown, attempt: number): unknown {
    if (!isCairnError(err) || !err.transient || attempt === 1) return err;
    return new CairnError(err.code, `${err.message} (gave up after ${attempt} attempts)`, { cause: err, transient: true });
  }

  #pause(attempt: number): Promise<void> {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return sleep(Math.random() * ceiling);
  }
}
