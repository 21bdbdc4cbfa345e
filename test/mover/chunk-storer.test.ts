// Batches stored at the same time: a chunk new to the bank is stored once, however many batches hold it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { BackupSession } from '../../src/bank/backup-session.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { ChunkStorer } from '../../src/mover/chunk-storer.ts';
import { entryIds, openIndex } from '../../src/bank/index-file.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const BLOCK = 64 * 1024;

test('concurrent batches of the same block store it once, and each counts its share', async (t) => {
  const dir = await tempDir(t);
  const bank = await Bank.init(new LocalBackend(join(dir, 'bank')), [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 } });
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  const session = await BackupSession.start(bank);
  const storer = new ChunkStorer(session, pool, { type: 'data', level: 3, frameBytes: 1 << 20, batchBytes: 16 * BLOCK, batchChunks: 16 });
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
