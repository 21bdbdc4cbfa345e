/**
 * Reads many chunks efficiently: groups them by pack, merges neighbouring ones into one ranged read
 * (fewer requests on S3, sequential I/O on disks), decodes and checks them in the pool, and hands each
 * plaintext to a callback. Every chunk is re-hashed: a chunk that is not what its id says fails loudly.
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
 * A decoded chunk with the tags it was wanted under. Chunks of one call lie back to back in one buffer,
 * in pack order; a caller that keeps none of them past the callback may free that buffer (freeNow).
 */
export interface Delivered {
  plain: Buffer;
  tags: readonly number[];
}

// 1 MiB of envelopes (several MiB once decoded) per read and decode task: with a few ranges in flight,
// 4 MiB ranges cost ~140 MB more peak RSS on restore and were no faster.
const MAX_RANGE = 1 << 20;
const MAX_GAP = 256 << 10;

interface Located { id: Buffer; tags: number[]; offset: number; length: number }

/** With it, damaged or missing chunks are reported here and fetching goes on (verify); without it, the first one fails the fetch. */
export type DamageHandler = (id: Buffer, tags: readonly number[], reason: string) => void;

export async function fetchChunks(
  bank: Bank, pool: CodecPool, index: ChunkIndex, limiter: Limiter, wants: readonly ChunkWant[],
  deliver: (chunks: readonly Delivered[]) => Promise<void>,
  onDamage?: DamageHandler,
): Promise<void> {
  const byPack = new Map<string, Map<string, Located>>();
  for (const w of wants) {
    const loc = index.get(w.id);
    if (!loc) {
      const reason = `chunk ${w.id.toString('hex')} is referenced but missing from the bank's index (lost pack or index object)`;
      if (onDamage) { onDamage(w.id, [w.tag], reason); continue; }
      throw new CairnError('corrupt', reason);
    }
    let chunks = byPack.get(loc.packId);
    if (!chunks) byPack.set(loc.packId, chunks = new Map<string, Located>());
    const key = w.id.toString('latin1');
    const seen = chunks.get(key);
    if (seen) seen.tags.push(w.tag); else chunks.set(key, { id: w.id, tags: [w.tag], offset: loc.offset, length: loc.length });
  }
  for (const [packId, chunks] of byPack) {
    const sorted = [...chunks.values()].sort((a, b) => a.offset - b.offset);
    for (const range of coalesce(sorted)) {
      await limiter.run(async () => {
        const start = range[0]!.offset, last = range.at(-1)!;
        let bytes: Uint8Array;
        try {
          bytes = await bank.readPackRange(packId, start, last.offset + last.length - start);
        } catch (err) {
          if (!onDamage || !(err instanceof CairnError) || err.code !== 'corrupt') throw err;
          for (const c of range) onDamage(c.id, c.tags, err.message);
          return;
        }
        const ids = Buffer.concat(range.map((c) => c.id));
        const items = range.map((c, i) => ({ idIndex: i, offset: c.offset - start, length: c.length }));
        const data = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
        const tolerant = onDamage !== undefined;
        const result = await pool.decode({ data, ids: ids.buffer.slice(ids.byteOffset, ids.byteOffset + ids.byteLength), items, tolerant });
        freeNow(result.data); // the envelopes, read for this range alone
        const { out, lengths, errors } = result;
        let at = 0;
        const delivered: Delivered[] = [];
        for (let i = 0; i < range.length; i++) {
          const error = errors?.[i];
          if (error) onDamage!(range[i]!.id, range[i]!.tags, error);
          else delivered.push({ plain: Buffer.from(out, at, lengths[i]), tags: range[i]!.tags });
          at += lengths[i]!;
        }
        await deliver(delivered);
      });
    }
  }
}

function* coalesce(sorted: Located[]): Generator<Located[]> {
  let group: Located[] = [];
  for (const c of sorted) {
    const first = group[0], last = group.at(-1);
    if (first && last && (c.offset - (last.offset + last.length) > MAX_GAP || c.offset + c.length - first.offset > MAX_RANGE)) {
      yield group;
      group = [];
    }
    group.push(c);
  }
  if (group.length) yield group;
}
