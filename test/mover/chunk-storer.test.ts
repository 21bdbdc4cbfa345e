// Batches stored at the same time: a chunk new to the bank is stored once, however many batches hold it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { BackupSession } from '../../src/bank/backup-session.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { ChunkStorer, type StoredBatch } from '../../src/mover/chunk-storer.ts';
import { entryIds, openIndex } from '../../src/bank/index-file.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const BLOCK = 64 * 1024;

/** A new bank, a session on it and a storer of 64 KiB blocks in batches of 16. */
async function openStorer(t: TestContext): Promise<{ bank: Bank; session: BackupSession; storer: ChunkStorer }> {
  const dir = await tempDir(t);
  const bank = await Bank.init(new LocalBackend(join(dir, 'bank')), [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 } });
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  const session = await BackupSession.start(bank);
  const storer = new ChunkStorer(session, pool, { type: 'data', level: 3, frameBytes: 1 << 20, batchBytes: 16 * BLOCK, batchChunks: 16 });
  return { bank, session, storer };
}

test('concurrent batches of the same block store it once, and each counts its share', async (t) => {
  const { bank, session, storer } = await openStorer(t);
  const block = randomBytes(BLOCK);
  const batch = (): ArrayBuffer => {
    const data = new ArrayBuffer(16 * BLOCK);
    for (let i = 0; i < 16; i++) new Uint8Array(data).set(block, i * BLOCK);
    return data;
  };
  const bounds = Array.from({ length: 17 }, (_, i) => i * BLOCK);
  const results = await Promise.all(Array.from({ length: 5 }, () => storer.store(batch(), bounds)));
  assert.equal(session.inFlight.size, 0);
  const id = results[0]!.ids.subarray(0, 32);
  const share = session.storedLength(id, BLOCK);
  assert.ok(share > BLOCK, 'a random block is stored whole');
  for (const r of results) assert.equal(r.storedBytes, 16 * share, 'a batch that reused the block counted it too');
  await session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } });
  let copies = 0;
  await bank.eachIndexObject(() => { copies = 0; }, (name, object) => {
    for (const p of openIndex(bank.keys.dataKey, name, object)) for (const e of entryIds(p.entries)) if (e.equals(id)) copies++;
  });
  assert.equal(copies, 1, 'the block was stored more than once');
});

test('a batch that is partly known after all-new ones stores only its new chunks, each once', async (t) => {
  const { bank, session, storer } = await openStorer(t);
  const blocks = Array.from({ length: 40 }, () => randomBytes(BLOCK));
  const batchOf = (picks: number[]): ArrayBuffer => {
    const data = new ArrayBuffer(picks.length * BLOCK);
    for (const [k, b] of picks.entries()) if (b >= 0) new Uint8Array(data).set(blocks[b]!, k * BLOCK);
    return data;
  };
  // All new, then all new again (the storer now hashes and seals in one trip), then mostly known
  // blocks with new ones, a repeat and a zero block (-1), then new ones again.
  const picks = [[0, 1, 2, 3], [4, 5, 6, 7], [0, 8, 5, 9, 9, -1, 1], [10, 11, 12]];
  const results: StoredBatch[] = [];
  for (const p of picks) results.push(await storer.store(batchOf(p), Array.from({ length: p.length + 1 }, (_, i) => i * BLOCK)));
  await session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } });
  const copies = new Map<string, number>();
  await bank.eachIndexObject(() => copies.clear(), (name, object) => {
    for (const p of openIndex(bank.keys.dataKey, name, object)) for (const e of entryIds(p.entries)) copies.set(e.toString('hex'), (copies.get(e.toString('hex')) ?? 0) + 1);
  });
  for (const [b, p] of picks.entries()) {
    for (const [k, block] of p.entries()) {
      const id = Buffer.from(results[b]!.ids.subarray(k * 32, k * 32 + 32));
      if (block < 0) { assert.ok(id.equals(Buffer.alloc(32)), 'a zero block gets the zero id'); continue; }
      assert.equal(copies.get(id.toString('hex')), 1, `block ${block} is stored exactly once`);
      assert.deepEqual(await bank.readChunk(session.index, id), blocks[block], `block ${block} reads back`);
    }
  }
  assert.equal(copies.size, 13, 'blocks 0-12, nothing else');
});
