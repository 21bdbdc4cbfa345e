/**
 * Reads many chunks efficiently: groups them by pack and frame, merges neighbouring frames into one
 * ranged read (fewer requests on S3, sequential I/O on disks), opens each frame once in the pool, and
 * hands the plaintexts to a callback. Every chunk is re-hashed: one that is not what its id says fails loudly.
 * fetchChunks returns once every chunk was delivered (or the first failure).
 */
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import type { Bank } from '../bank/bank.ts';
import type { ChunkIndex } from '../bank/chunk-index.ts';
import type { CodecPool } from './codec-pool.ts';
import type { Limiter } from './limiter.ts';

export interface ChunkWant {
  id: Buffer;
  /** Opaque to the fetcher; given back with the plaintext. */
  tag: number;
}

/**
 * A checked chunk with the tags it was wanted under. Chunks of one call are views into one buffer,
 * in pack order (the chunks of a frame back to back); a caller that keeps none of them past the
 * callback may free that buffer (freeNow).
 */
export interface Delivered {
  plain: Buffer;
  tags: readonly number[];
}

// 1 MiB of frames (several MiB once opened) per read and open task: with a few ranges in flight,
// 4 MiB ranges cost ~140 MB more peak RSS on restore and were no faster.
const MAX_RANGE = 1 << 20;
const MAX_GAP = 256 << 10;

interface Wanted { id: Buffer; tags: number[] }
interface Frame { offset: number; length: number; wants: Map<string, Wanted> }

/** With it, damaged or missing chunks are reported here and fetching goes on (verify); without it, the first one fails the fetch. */
export type DamageHandler = (id: Buffer, tags: readonly number[], reason: string) => void;

export async function fetchChunks(
  bank: Bank, pool: CodecPool, index: ChunkIndex, limiter: Limiter, wants: readonly ChunkWant[],
  deliver: (chunks: readonly Delivered[]) => Promise<void>,
  onDamage?: DamageHandler,
): Promise<void> {
  const byPack = new Map<string, Map<number, Frame>>();
  for (const w of wants) {
    const loc = index.get(w.id);
    if (!loc) {
      const reason = `chunk ${w.id.toString('hex')} is referenced but missing from the bank's index (lost pack or index object)`;
      if (onDamage) { onDamage(w.id, [w.tag], reason); continue; }
      throw new CairnError('corrupt', reason);
    }
    let frames = byPack.get(loc.packId);
    if (!frames) byPack.set(loc.packId, frames = new Map<number, Frame>());
    let frame = frames.get(loc.offset);
    if (!frame) frames.set(loc.offset, frame = { offset: loc.offset, length: loc.length, wants: new Map() });
    const key = w.id.toString('latin1');
    const seen = frame.wants.get(key);
    if (seen) seen.tags.push(w.tag); else frame.wants.set(key, { id: w.id, tags: [w.tag] });
  }
  // The limiter bounds reads in flight across all callers; this call waits for its own, also when one
  // fails: nothing it started may still deliver after it returned.
  const started: Promise<unknown>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (const [packId, frames] of byPack) {
      const sorted = [...frames.values()].sort((a, b) => a.offset - b.offset);
      for (const range of coalesce(sorted)) {
        await limiter.run(() => {
          const fetched = fetchRange(bank, pool, packId, range, deliver, onDamage);
          started.push(fetched.catch((error: unknown) => { failure ??= { error }; }));
          return fetched;
        });
      }
    }
  } finally {
    await Promise.all(started);
  }
  if (failure) throw failure.error;
}

async function fetchRange(bank: Bank, pool: CodecPool, packId: string, range: Frame[], deliver: (chunks: readonly Delivered[]) => Promise<void>, onDamage?: DamageHandler): Promise<void> {
  const start = range[0]!.offset, last = range.at(-1)!;
  const wanted = range.flatMap((f) => [...f.wants.values()]);
  let bytes: Uint8Array;
  try {
    bytes = await bank.readPackRange(packId, start, last.offset + last.length - start);
  } catch (err) {
    if (!onDamage || !(err instanceof CairnError) || err.code !== 'corrupt') throw err;
    for (const w of wanted) onDamage(w.id, w.tags, err.message);
    return;
  }
  const ids = Buffer.concat(wanted.map((w) => w.id));
  const frames = range.map((f) => ({ offset: f.offset - start, length: f.length, wants: f.wants.size }));
  const data = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
  const result = await pool.open({ data, frames, ids: ids.buffer.slice(ids.byteOffset, ids.byteOffset + ids.byteLength), tolerant: onDamage !== undefined });
  freeNow(result.data); // the frames as read, for this range alone
  const delivered: Delivered[] = [];
  for (const [i, w] of wanted.entries()) {
    const offset = result.spans[2 * i]!, length = result.spans[2 * i + 1]!;
    if (length < 0) onDamage!(w.id, w.tags, result.errors?.[i] ?? 'damaged');
    else delivered.push({ plain: Buffer.from(result.out, offset, length), tags: w.tags });
  }
  // In the order they lie in the buffer, so that callers can write neighbouring chunks with one call.
  delivered.sort((a, b) => a.plain.byteOffset - b.plain.byteOffset);
  await deliver(delivered);
}

function* coalesce(sorted: Frame[]): Generator<Frame[]> {
  let group: Frame[] = [];
  for (const f of sorted) {
    const first = group[0], last = group.at(-1);
    if (first && last && (f.offset - (last.offset + last.length) > MAX_GAP || f.offset + f.length - first.offset > MAX_RANGE)) {
      yield group;
      group = [];
    }
    group.push(f);
  }
  if (group.length) yield group;
}
