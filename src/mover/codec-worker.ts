/**
 * Runs in worker threads: hashes, compresses and encrypts chunks for backups, and decrypts and checks
 * them for restores. Buffers arrive and leave by transfer; input buffers go back to the caller for reuse.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { chunkId, decodeChunk, encodeChunkInto, isAllZero } from '../bank/chunk-codec.ts';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import type { CodecTask, DecodeResult, EncodeResult, WorkerFailure, WorkerKeys } from './codec-pool.ts';

// Top-level await makes require() of this module throw at once, so piscina loads it with import().
// Loaded with require(esm), Node 24 aborts the whole process (an assertion in
// CreateRequiredModuleFacade) when a worker is terminated mid-load, as a quick command's pool is.
const keys = await Promise.resolve(workerData as WorkerKeys);

const bankKeys = { dataKey: Buffer.from(keys.dataKey), idKey: Buffer.from(keys.idKey) };

export default function run(task: CodecTask): EncodeResult | DecodeResult | WorkerFailure {
  try {
    return task.op === 'encode' ? encode(task) : decode(task);
  } catch (err) {
    // Errors lose their class and code crossing threads: send them as values; the pool rebuilds them.
    if (err instanceof CairnError) return { failure: { code: err.code, message: err.message } };
    throw err;
  }
}

function encode(task: Extract<CodecTask, { op: 'encode' }>): EncodeResult {
  const data = new Uint8Array(task.data);
  const out = new Uint8Array(task.out);
  const n = task.bounds.length - 1;
  const ids = new Uint8Array(n * 32);
  const lengths = new Int32Array(n);
  const skip = task.skipIds ? new Uint8Array(task.skipIds) : undefined;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const chunk = data.subarray(task.bounds[i], task.bounds[i + 1]);
    if (task.detectZero && isAllZero(chunk)) {
      lengths[i] = -1;
      continue;
    }
    const id = chunkId(bankKeys.idKey, chunk);
    ids.set(id, i * 32);
    if (skip && Buffer.compare(id, skip.subarray(i * 32, i * 32 + 32)) === 0) continue; // the parent has it at this offset
    const len = encodeChunkInto(bankKeys.dataKey, id, chunk, task.level, out, at);
    lengths[i] = len;
    at += len;
  }
  const result: EncodeResult = { data: task.data, out: task.out, ids: ids.buffer, lengths: lengths.buffer };
  return transferring(result, [task.data, task.out, ids.buffer, lengths.buffer, ...(task.skipIds ? [task.skipIds] : [])]);
}

function decode(task: Extract<CodecTask, { op: 'decode' }>): DecodeResult {
  const data = new Uint8Array(task.data);
  const errors: (string | null)[] = [];
  const plains = task.items.map((item) => {
    try {
      const plain = decodeChunk(bankKeys, new Uint8Array(task.ids, item.idIndex * 32, 32), data.subarray(item.offset, item.offset + item.length));
      errors.push(null);
      return plain;
    } catch (err) {
      if (!task.tolerant) throw err;
      errors.push((err as Error).message);
      return EMPTY;
    }
  });
  const out = Buffer.allocUnsafeSlow(plains.reduce((n, p) => n + p.length, 0));
  let at = 0;
  const lengths = plains.map((p) => {
    const length = p.copy(out, at);
    at += length;
    freeNow(p); // empties p: its length was taken first
    return length;
  });
  const result: DecodeResult = { data: task.data, out: out.buffer, lengths, ...(task.tolerant ? { errors } : {}) };
  return transferring(result, [task.data, result.out]);
}

const EMPTY = Buffer.alloc(0);

/** Piscina transfers the listed buffers of a result wrapped this way instead of cloning them. */
function transferring<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  const movable = { [transferableSymbol]: buffers, [valueSymbol]: value };
  return move(movable) as unknown as T;
}
