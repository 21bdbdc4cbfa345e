/**
 * A pool of worker threads (one per core) that encode and decode chunks with the bank's keys.
 * Tasks carry only data, moved by transfer; the keys reach the workers once, through shared memory.
 *
 * The workers start before the bank is unlocked and wait for the keys: loading a worker (Node, piscina,
 * the codec modules) takes ~0.25 s of CPU, about what stretching the passphrase (scrypt) takes on a
 * libuv thread, so the two overlap instead of following each other at the start of every command.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { BankKeys } from '../bank/keys.ts';
import { CairnError, type ErrorCode } from '../core/errors.ts';

/**
 * What each worker gets at start: shared memory that `unlock` fills with the data key and the id key
 * (KEY_BYTES each) before it sets `ready` (Int32 at offset 0, 0 → 1) and wakes the waiting workers.
 */
export interface WorkerKeys {
  shared: SharedArrayBuffer;
}

export const KEY_BYTES = 32;
/** Where the keys lie in WorkerKeys.shared, after the Int32 flag. */
export const KEYS_AT = 8;

export type CodecTask =
  | {
    op: 'hash';
    /** Source bytes; chunk i is data[bounds[i], bounds[i+1]). Returned in the result. */
    data: ArrayBuffer | SharedArrayBuffer;
    bounds: number[];
    /** Ids to compare with (32 bytes per chunk): the parent's blocks at the same offsets. */
    skipIds?: ArrayBuffer;
  }
  | {
    op: 'seal';
    /** As given to (and returned by) 'hash'. */
    data: ArrayBuffer | SharedArrayBuffer;
    bounds: number[];
    /** The chunks to store, ascending, and their ids (32 bytes each, in that order). */
    select: number[];
    ids: ArrayBuffer;
    /** Consecutive selected chunks share a frame up to this many bytes; 0: one chunk per frame. */
    frameBytes: number;
    level: number;
    /** Room for the frames; replaced by a larger buffer when too small. Returned. */
    out: ArrayBuffer;
  }
  | {
    op: 'hashSeal';
    /** 'hash' (without skip ids) and then 'seal' of every distinct non-zero chunk, in one trip. */
    data: ArrayBuffer | SharedArrayBuffer;
    bounds: number[];
    frameBytes: number;
    level: number;
    out: ArrayBuffer;
  }
  | {
    op: 'open';
    /** Frames as read from a pack range. Returned. */
    data: ArrayBuffer;
    /** Each frame's place in `data` and how many of the wanted ids (in order) it should hold. */
    frames: { offset: number; length: number; wants: number }[];
    ids: ArrayBuffer;
    /** Report a damaged chunk in `errors` instead of failing the task (verify). */
    tolerant?: boolean;
  };

/** Int8 per chunk in HashResult.kinds. */
export const ZERO_CHUNK = 0, SAME_AS_SKIP_ID = 1, HASHED = 2;

export interface HashResult {
  data: ArrayBuffer | SharedArrayBuffer;
  /** 32 bytes per chunk; zero chunks have none (zero bytes). */
  ids: ArrayBuffer;
  kinds: ArrayBuffer;
}

export interface SealResult {
  data: ArrayBuffer | SharedArrayBuffer;
  out: ArrayBuffer;
  /** Per frame: offset in `out`, length, and how many of the selected chunks (in order) it holds. */
  frames: number[];
}

/** HashResult and SealResult of a 'hashSeal': `select` lists the sealed chunks, in frame order. */
export interface HashSealResult extends HashResult {
  select: number[];
  out: ArrayBuffer;
  frames: number[];
}

export interface OpenResult {
  data: ArrayBuffer;
  /** The frames' plaintexts back to back. */
  out: ArrayBuffer;
  /** Per wanted id: offset and length of its plaintext in `out` (length -1: damaged, see errors). */
  spans: number[];
  /** With `tolerant`: why each damaged chunk failed, null for good ones. */
  errors?: (string | null)[];
}

/** A CairnError raised in a worker, sent back as a value (errors lose their class between threads). */
export interface WorkerFailure {
  failure: { code: ErrorCode; message: string };
}

/** The buffers to move between threads: SharedArrayBuffers are shared as they are and cannot be moved. */
export function movable(buffers: (ArrayBuffer | SharedArrayBuffer)[]): ArrayBuffer[] {
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

async function unwrap<T extends object>(result: Promise<T | WorkerFailure>): Promise<T> {
  const r = await result;
  if ('failure' in r) throw new CairnError(r.failure.code, r.failure.message);
  return r;
}

export class CodecPool {
  readonly #pool: Piscina;
  readonly #shared = new SharedArrayBuffer(KEYS_AT + 2 * KEY_BYTES);
  readonly threads: number;

  /** Without keys the workers load and wait; tasks wait with them until `unlock`. */
  constructor(keys?: BankKeys, threads = availableParallelism()) {
    this.threads = threads;
    this.#pool = new Piscina({
      filename: new URL('./codec-worker.ts', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Every frame and chunk leaves native objects (cipher and HMAC contexts) that are freed only when
      // their small JS wrappers are collected, and V8 does not count them. A small young generation
      // collects them often; with V8's default size 70-100 MB piled up per thread first (measured with
      // node:zlib's zstd contexts, which were the largest of them).
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
      workerData: { shared: this.#shared } satisfies WorkerKeys,
    });
    if (keys) this.unlock(keys);
  }

  /** Hands the bank's keys to the workers (once). */
  unlock(keys: BankKeys): void {
    const flag = new Int32Array(this.#shared, 0, 1);
    if (Atomics.load(flag, 0) !== 0) throw new Error('codec pool already unlocked');
    if (keys.dataKey.length !== KEY_BYTES || keys.idKey.length !== KEY_BYTES) throw new Error(`bank keys must be ${KEY_BYTES} bytes`);
    const bytes = new Uint8Array(this.#shared);
    bytes.set(keys.dataKey, KEYS_AT);
    bytes.set(keys.idKey, KEYS_AT + KEY_BYTES);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }

  /** Ids of a batch of chunks, and which are all zeros or equal to the ids to skip. */
  hash(task: Omit<Extract<CodecTask, { op: 'hash' }>, 'op'>): Promise<HashResult> {
    const transferList = task.skipIds ? [task.data, task.skipIds] : [task.data];
    return this.#run({ op: 'hash', ...task }, transferList);
  }

  /** Frames (compressed, encrypted) of the selected chunks of a batch. */
  seal(task: Omit<Extract<CodecTask, { op: 'seal' }>, 'op'>): Promise<SealResult> {
    return this.#run({ op: 'seal', ...task }, [task.data, task.ids, task.out]);
  }

  /** Ids of a batch and frames of all its distinct non-zero chunks: one trip where all are expected to be new. */
  hashSeal(task: Omit<Extract<CodecTask, { op: 'hashSeal' }>, 'op'>): Promise<HashSealResult> {
    return this.#run({ op: 'hashSeal', ...task }, [task.data, task.out]);
  }

  /** The wanted chunks of some frames, decrypted, decompressed and checked against their ids. */
  open(task: Omit<Extract<CodecTask, { op: 'open' }>, 'op'>): Promise<OpenResult> {
    return this.#run({ op: 'open', ...task }, [task.data, task.ids]);
  }

  #run<T extends object>(task: CodecTask, buffers: (ArrayBuffer | SharedArrayBuffer)[]): Promise<T> {
    return unwrap(this.#pool.run(task, { transferList: movable(buffers) }) as Promise<T | WorkerFailure>);
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
    new Uint8Array(this.#shared).fill(0, KEYS_AT); // the workers copied them; leave no key in memory we own
  }
}
