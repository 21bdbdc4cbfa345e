// Incrementals fed with dirty extents (what changed-block tracking reports): only those blocks are read.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Bank } from '../../src/bank/bank.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupImage } from '../../src/mover/image-backup.ts';
import { restoreImage } from '../../src/mover/image-restore.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { makeImage, readFile, sha256, writeAt } from '../testkit/files.ts';

const MiB = 1 << 20, KiB = 1024;

async function setup(t: TestContext, chunking: { imageBlockSize?: number } = {}): Promise<{ dir: string; bank: Bank; pool: CodecPool; src: string }> {
  const dir = await tempDir(t);
  const bank = await Bank.init(new LocalBackend(join(dir, 'bank')), [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 }, chunking });
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  return { dir, bank, pool, src: join(dir, 'disk.img') };
}

test('with dirty extents, an incremental reads just the dirty blocks and restores exactly', async (t) => {
  const { dir, bank, pool, src } = await setup(t);
  await makeImage(src, 200 * MiB, [[0, 20 * MiB], [70 * MiB, 10 * MiB], [150 * MiB, 30 * MiB]]);
  const full = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  await writeAt(src, 5 * MiB + 100, Buffer.alloc(10, 1));             // inside one 64 KiB block
  await writeAt(src, 160 * MiB - 10, Buffer.alloc(200 * KiB, 2));     // touches five blocks: 2559 to 2563
  const dirty = [{ offset: 5 * MiB + 100, length: 10 }, { offset: 160 * MiB - 10, length: 200 * KiB }];
  const incr = await backupImage(bank, pool, { path: src, name: 'd', parent: full, dirtyExtents: dirty });
  assert.equal(incr.readBytes, 6 * 64 * KiB, 'read other than the six dirty blocks');
  const out = join(dir, 'out.img');
  await restoreImage(bank, pool, incr, out);
  assert.equal(await sha256(out), await sha256(src));
});

test('scattered dirty blocks of one page share batches; each lands at its own place, reported-but-unchanged ones too', async (t) => {
  const { dir, bank, pool, src } = await setup(t);
  const block = 64 * KiB;
  await makeImage(src, 4 * MiB + 3000, [[0, 4 * MiB + 3000]]); // 65 blocks, the last one short, one page
  const full = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  const before = await readFile(src);
  const changed = [3, 7, 8, 20, 33, 64];
  for (const b of changed) await writeAt(src, b * block + 17, Buffer.from(`block ${b} changed`));
  // Block 40 is reported dirty but holds what the parent has: read, found equal, its id kept.
  const dirty = [...changed, 40].map((b) => ({ offset: b * block, length: 100 }));
  const incr = await backupImage(bank, pool, { path: src, name: 'd', parent: full, dirtyExtents: dirty });
  assert.equal(incr.readBytes, 6 * block + 3000, 'read other than the seven dirty blocks');
  const out = join(dir, 'out.img');
  await restoreImage(bank, pool, incr, out);
  assert.equal(await sha256(out), await sha256(src));
  const fullOut = join(dir, 'full.img');
  await restoreImage(bank, pool, full, fullOut);
  assert.ok((await readFile(fullOut)).equals(before), 'the full checkpoint still restores the image as it was');
});

// Block sizes a bank may choose that are not pages: batches then end off page boundaries, and
// direct reads at such offsets fail with EINVAL, so the reader goes through the page cache.
for (const blockSize of [6 * KiB, 512]) {
  test(`block size ${blockSize}: full and incremental with unaligned dirty extents restore exactly`, async (t) => {
    const { dir, bank, pool, src } = await setup(t, { imageBlockSize: blockSize });
    await makeImage(src, 5 * MiB + 1000, [[0, 3 * MiB], [4 * MiB, MiB + 1000]]);
    const full = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
    const changes = Array.from({ length: 60 }, (_, i) => ({ offset: i * 77 * KiB + 300, length: 700 }));
    for (const c of changes) await writeAt(src, c.offset, Buffer.alloc(c.length, 7));
    const incr = await backupImage(bank, pool, { path: src, name: 'd', parent: full, dirtyExtents: changes });
    const out = join(dir, 'out.img');
    await restoreImage(bank, pool, incr, out);
    assert.equal(await sha256(out), await sha256(src));
  });
}
