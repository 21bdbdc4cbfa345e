// A reader loading the index while a GC rewrites index objects one by one (successor first, then the
// old one deleted) sees every chunk and does not give up, however many objects are rewritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { BackupSession } from '../../src/bank/backup-session.ts';
import { indexKey, newIndexName, openIndex, sealIndex } from '../../src/bank/index-file.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { DelegatingBackend } from '../testkit/delegating-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const BLOCK = 64 * 1024;
const secret = { passphrase: 'x' };

/** Fault injection: before each read of an index object, `beforeRead` runs with its name (here: a GC rewrites it). */
class HookBackend extends DelegatingBackend {
  beforeRead: (name: string) => Promise<void> = () => Promise.resolve();
  override async get(key: string): Promise<Uint8Array> {
    if (key.startsWith('index/')) await this.beforeRead(key.slice('index/'.length));
    return this.inner.get(key);
  }
}

test('loading the index while twenty index objects are rewritten one by one finds every chunk', async (t) => {
  const dir = join(await tempDir(t), 'bank');
  const writer = await Bank.init(new LocalBackend(dir), [secret], { scrypt: { N: 1024, r: 8, p: 1 }, chunking: { packSize: 2 * BLOCK } });
  // Twenty index objects of two chunks each.
  const session = await BackupSession.start(writer, { indexPartEntries: 2 });
  const blocks = Array.from({ length: 40 }, () => randomBytes(BLOCK));
  for (const block of blocks) {
    const id = writer.chunkId(block);
    await session.storeFrame('data', writer.sealMeta(id, block), [{ id, rawLength: BLOCK }]);
  }
  await session.commit({ name: 'x', type: 'image', parent: null, tags: [], sourceBytes: 0, readBytes: 0, storedBytes: 0, index: { kind: 'fixed', size: 0, blockSize: BLOCK, pageEntries: 1024, pages: [] } });
  const names: string[] = [];
  for await (const o of writer.storage.list('index/')) names.push(o.key.slice('index/'.length));
  assert.ok(names.length >= 20, `only ${names.length} index objects`);

  // Each original object is rewritten just before the reader gets to it, as GC's step 7.1 does: the
  // successor under a new name first, then the old one deleted. The reader meets twenty vanished objects.
  const hooked = new HookBackend(new LocalBackend(dir));
  const reader = await Bank.open(hooked, secret);
  let rewritten = 0;
  const originals = new Set(names);
  hooked.beforeRead = async (old) => {
    if (!originals.delete(old)) return;
    const packs = openIndex(writer.keys.dataKey, old, await writer.storage.get(indexKey(old)));
    const name = newIndexName();
    await writer.storage.put(indexKey(name), sealIndex(writer.keys.dataKey, name, packs));
    await writer.storage.delete(indexKey(old));
    rewritten++;
  };
  const index = await reader.loadIndex();
  assert.equal(rewritten, names.length, 'every original object was rewritten while the index loaded');
  for (const [i, block] of blocks.entries()) assert.deepEqual(await reader.readChunk(index, reader.chunkId(block)), block, `block ${i}`);
});
