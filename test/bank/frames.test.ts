// Frames: the new blocks of a batch are sealed together, each still reads back alone and checked,
// and a frame found where another chunk's frame should be is refused.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { ChunkIndex } from '../../src/bank/chunk-index.ts';
import { shareOf } from '../../src/bank/frame.ts';
import { isCairnError } from '../../src/core/errors.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupImage } from '../../src/mover/image-backup.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { makeImage, writeAt } from '../testkit/files.ts';

const KiB = 1024, MiB = 1024 * KiB;

async function setup(t: TestContext): Promise<{ dir: string; bank: Bank; pool: CodecPool }> {
  const dir = await tempDir(t);
  const bank = await Bank.init(new LocalBackend(join(dir, 'bank')), [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 } });
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  return { dir, bank, pool };
}

async function blockIds(bank: Bank, pageId: string): Promise<Buffer[]> {
  const page = await bank.readChunk(await bank.loadIndex(), Buffer.from(pageId, 'hex'));
  return Array.from({ length: page.length / 32 }, (_, i) => page.subarray(i * 32, i * 32 + 32));
}

test('the new blocks of a batch share one frame; each block reads back alone', async (t) => {
  const { dir, bank, pool } = await setup(t);
  const src = join(dir, 'disk.img');
  await makeImage(src, 2 * MiB, [[0, 2 * MiB]]);
  const m = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  assert.equal(m.index.kind, 'fixed');
  const ids = await blockIds(bank, m.index.kind === 'fixed' ? m.index.pages[0]! : '');
  assert.equal(ids.length, 32);
  const index = await bank.loadIndex();
  const frames = new Set(ids.map((id) => { const l = index.get(id)!; return `${l.packId}@${l.offset}`; }));
  assert.equal(frames.size, 2, 'two batches of sixteen blocks: two frames');
  const image = await readFile(src);
  for (const i of [0, 7, 15, 16, 31]) {
    assert.deepEqual(await bank.readChunk(index, ids[i]!), image.subarray(i * 64 * KiB, (i + 1) * 64 * KiB), `block ${i}`);
  }
  // Each block accounts for its share of its frame; together, what the packs hold.
  const shares = ids.reduce((n, id) => { const l = index.get(id)!; return n + shareOf(l.length, 64 * KiB, l.frameRaw); }, 0);
  assert.ok(Math.abs(shares - m.storedBytes) <= 32, `shares ${shares} vs storedBytes ${m.storedBytes}`);
});

test('an incremental seals only the changed blocks, in a frame of their own', async (t) => {
  const { dir, bank, pool } = await setup(t);
  const src = join(dir, 'disk.img');
  await makeImage(src, 2 * MiB, [[0, 2 * MiB]]);
  const full = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  const before = (await bank.loadIndex()).size;
  await writeAt(src, 5 * 64 * KiB + 10, Buffer.from('changed'));
  await writeAt(src, 9 * 64 * KiB, Buffer.from('changed too'));
  await backupImage(bank, pool, { path: src, name: 'd', parent: full });
  assert.equal((await bank.loadIndex()).size - before, 3, 'two new blocks and one new page');
});

test('a frame found where another chunk should be is refused, not returned', async (t) => {
  const { dir, bank, pool } = await setup(t);
  const src = join(dir, 'disk.img');
  await makeImage(src, 2 * MiB, [[0, 2 * MiB]]);
  const m = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  const ids = await blockIds(bank, m.index.kind === 'fixed' ? m.index.pages[0]! : '');
  const real = await bank.loadIndex();
  // Index block 0 at the frame of block 31, as a swapped or misdirected frame would be.
  const swapped = new ChunkIndex();
  const other = real.get(ids[31]!)!;
  swapped.add(ids[0]!, other.packId, other.offset, other.length, other.frameRaw);
  await assert.rejects(bank.readChunk(swapped, ids[0]!), (err) => isCairnError(err, 'corrupt') && /not in the frame its index names/.test(err.message));
});
