// GC reads each distinct index page once (chains of incrementals share most pages) and still keeps
// every chunk a checkpoint needs: after forgetting the full backup, its incremental restores exactly,
// even when a stream holds a chunk with the very bytes of one of the shared pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Bank } from '../../src/bank/bank.ts';
import { collectGarbage } from '../../src/bank/gc.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupImage } from '../../src/mover/image-backup.ts';
import { restoreImage } from '../../src/mover/image-restore.ts';
import { backupStream } from '../../src/mover/stream-backup.ts';
import { verifyCheckpoints } from '../../src/mover/verify.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { makeImage, readFile, writeAt } from '../testkit/files.ts';

const KiB = 1024;

test('gc walks shared pages once and keeps what the incremental needs after the full is forgotten', async (t) => {
  const dir = await tempDir(t);
  // Pages of 8 blocks: a 2 MiB image has 4 pages.
  const bank = await Bank.init(new LocalBackend(join(dir, 'bank')), [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 }, chunking: { fixedPageEntries: 8 } });
  const pool = new CodecPool(bank.keys, 2);
  t.after(() => pool.close());
  const src = join(dir, 'disk.img');
  // The full backup holds blocks 0-7 only (page 0), in packs of their own; the incremental adds the rest.
  await makeImage(src, 2048 * KiB, [[0, 512 * KiB]]);
  const full = await backupImage(bank, pool, { path: src, name: 'd', parent: null });
  await writeAt(src, 512 * KiB, randomBytes(1536 * KiB));
  const incr = await backupImage(bank, pool, { path: src, name: 'd', parent: full });
  const want = await readFile(src);
  assert.ok(full.index.kind === 'fixed' && incr.index.kind === 'fixed');
  assert.equal(incr.index.pages[0], full.index.pages[0], 'page 0 is shared');
  // A stream whose only chunk has page 0's bytes: the same chunk, referenced as data. GC walks
  // checkpoints in id order: make the stream come first, so the page is marked before it is walked.
  const page = await bank.readChunk(await bank.loadIndex(), Buffer.from(full.index.pages[0]!, 'hex'));
  let stream;
  do stream = await backupStream(bank, pool, { source: Readable.from([page]), name: 's', parent: null });
  while (stream.id > incr.id);
  const streams = (await bank.listCheckpoints()).filter((c) => c.type === 'stream').length;

  await bank.deleteCheckpoint(full.id);
  const report = await collectGarbage(bank);
  assert.equal(report.checkpoints, 1 + streams);
  const v = await verifyCheckpoints(bank, pool, await bank.listCheckpoints());
  assert.deepEqual(v.checkpoints.filter((c) => c.damaged), [], 'no checkpoint is damaged');
  assert.equal(v.checkpoints.length, 1 + streams);
  const out = join(dir, 'out.img');
  await restoreImage(bank, pool, await bank.readManifest(incr.id), out);
  assert.ok((await readFile(out)).equals(want), 'the incremental restores exactly');
});
