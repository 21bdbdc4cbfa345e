/**
 * A pool of worker threads (one per core) that encode and decode chunks with the bank's keys.
 * The keys are handed to the workers once, at start; tasks carry only data, moved by transfer.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { BankKeys } from '../bank/keys.ts';
import { CairnError, type ErrorCode } from '../core/errors.ts';

export interface WorkerKeys {
  dataKey: Uint8Array;
  idKey: Uint8Array;
}

export type CodecTask =
  | {
    op: 'encode';
    /** Source bytes; chunk i is data[bounds[i], bounds[i+1]). Returned in the result for reuse. */
    data: ArrayBuffer;
    bounds: number[];
    /** Ids to compare with (32 bytes per chunk): a chunk whose id matches is not encoded. */
    skipIds?: ArrayBuffer;
    detectZero: boolean;
    level: number;
    /** Room for the envelopes: at least data length + ENVELOPE_OVERHEAD per chunk. Returned. */
    out: ArrayBuffer;
  }
  | {
    op: 'decode';
    /** Envelopes, as read from a pack range. Returned for reuse. */
    data: ArrayBuffer;
    ids: ArrayBuffer;
    items: { idIndex: number; offset: number; length: number }[];
    /** Report a damaged chunk in `errors` instead of failing the task (verify). */
    tolerant?: boolean;
  };

export interface EncodeResult {
  data: ArrayBuffer;
  out: ArrayBuffer;
  /** 32 bytes per chunk; zero chunks have no id computed. */
  ids: ArrayBuffer;
  /** Int32 per chunk: -1 all zeros, 0 matched its skip id (not encoded), else its envelope's length; envelopes lie back to back in `out`. */
  lengths: ArrayBuffer;
}

export interface DecodeResult {
  data: ArrayBuffer;
  /** The plaintexts back to back, in item order. */
  out: ArrayBuffer;
  lengths: number[];
  /** With `tolerant`: why each damaged chunk failed (its length is 0), null for good ones. */
  errors?: (string | null)[];
}

/** A CairnError raised in a worker, sent back as a value (errors lose their class between threads). */
export interface WorkerFailure {
  failure: { code: ErrorCode; message: string };
}

async function unwrap<T extends object>(result: Promise<T | WorkerFailure>): Promise<T> {
  const r = await result;
  if ('failure' in r) throw new CairnError(r.failure.code, r.failure.message);
  return r;
}

export class CodecPool {
  readonly #pool: Piscina;
  readonly threads: number;

  constructor(keys: BankKeys, threads = availableParallelism()) {
    this.threads = threads;
    this.#pool = new Piscina({
      filename: new URL('./codec-worker.ts', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Each zstd*Sync call leaves a native zstd context (hundreds of KiB) that Node 24 frees only when its
      // JS wrapper is collected (close() keeps it), and V8 does not count it. A small young generation
      // collects those wrappers often; with V8's default size 70-100 MB piled up per thread first.
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
      workerData: { dataKey: new Uint8Array(keys.dataKey), idKey: new Uint8Array(keys.idKey) } satisfies WorkerKeys,
    });
  }

  encode(task: Omit<Extract<CodecTask, { op: 'encode' }>, 'op'>): Promise<EncodeResult> {
    const transferList = task.skipIds ? [task.data, task.out, task.skipIds] : [task.data, task.out];
    return unwrap(this.#pool.run({ op: 'encode', ...task } satisfies CodecTask, { transferList }) as Promise<EncodeResult | WorkerFailure>);
  }

  decode(task: Omit<Extract<CodecTask, { op: 'decode' }>, 'op'>): Promise<DecodeResult> {
    return unwrap(this.#pool.run({ op: 'decode', ...task } satisfies CodecTask, { transferList: [task.data, task.ids] }) as Promise<DecodeResult | WorkerFailure>);
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
