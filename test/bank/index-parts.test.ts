// A long backup publishes its index in parts as its packs become durable, so its memory does not grow
// with its size; the checkpoint still appears only with its manifest, and an abandoned one is collected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { BackupSession } from '../../src/bank/backup-session.ts';
import { collectGarbage } from '../../src/bank/gc.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const BLOCK = 64 * 1024;

async function setUp(t: Parameters<typeof tempDir>[0]): Promise<{ bank: Bank; objects: (prefix: string) => Promise<number> }> {
  const dir = await tempDir(t);
  const storage = new LocalBackend(join(dir, 'bank'));
  const bank = await Bank.init(storage, [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 }, chunking: { packSize: 4 * BLOCK } });
  const objects = async (prefix: string): Promise<number> => {
    let n = 0;
    for await (const _ of storage.list(prefix)) n++;
    return n;
  };
  return { bank, objects };
}

async function storeBlocks(session: BackupSession, blocks: Buffer[]): Promise<void> {
  for (const block of blocks) {
    const id = session.bank.chunkId(block);
    await session.storeFrame('data', session.bank.sealMeta(id, block), [{ id, rawLength: block.length }]);
  }
}

test('index objects appear while the backup runs, the checkpoint only at commit, and every chunk is found', async (t) => {
  const { bank, objects } = await setUp(t);
  const session = await BackupSession.start(bank, { indexPartEntries: 8 });
  const blocks = Array.from({ length: 40 }, () => randomBytes(BLOCK));
  await storeBlocks(session, blocks);
  assert.ok(await objects('index/') >= 3, 'no index object was published before the commit');
  assert.equal(await objects('checkpoints/'), 0);
  await session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } });
  assert.equal((await bank.listCheckpoints()).length, 1);
  const index = await bank.loadIndex();
  for (const [i, block] of blocks.entries()) assert.deepEqual(await bank.readChunk(index, bank.chunkId(block)), block, `block ${i}`);
});

test('an abandoned backup leaves no checkpoint, and gc removes its published packs and index objects', async (t) => {
  const { bank, objects } = await setUp(t);
  const session = await BackupSession.start(bank, { indexPartEntries: 8 });
  await storeBlocks(session, Array.from({ length: 40 }, () => randomBytes(BLOCK)));
  await session.close();
  assert.ok(await objects('index/') >= 3);
  assert.equal((await bank.listCheckpoints()).length, 0);
  const packs = await objects('packs/');
  const report = await collectGarbage(bank);
  assert.ok(report.deletedPacks >= 6, `only ${report.deletedPacks} packs deleted`);
  assert.equal(await objects('index/'), 0, 'index objects naming deleted packs are left');
  // Packs made durable after the last index part are in no index object: orphans, kept for a day.
  assert.equal(await objects('packs/'), packs - report.deletedPacks);
});
