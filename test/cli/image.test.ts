// Disk images through the CLI: what goes in comes back byte for byte, sparse, and incrementals cost what changed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { allocated, makeImage, sha256, writeAt } from '../testkit/files.ts';
import { openTestBank } from '../testkit/bank.ts';

const MiB = 1 << 20, KiB = 1024;

interface BackupJson { id: string; parent: string | null; sourceBytes: number; readBytes: number; writtenBytes: number; durationMs: number }

async function roundTrip(t: TestContext, size: number, data: [number, number][]): Promise<{ dir: string; bank: string; backup: BackupJson; restored: string; src: string }> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), src = join(dir, 'disk.img'), restored = join(dir, 'restored.img');
  await makeImage(src, size, data);
  await cairnOk(['bank', 'init', bank]);
  const backup = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'disk', '--json'])).json<BackupJson>();
  await cairnOk(['restore', backup.id, '--bank', bank, '--to', restored]);
  assert.equal(await sha256(restored), await sha256(src), 'restored image differs from the source');
  assert.equal((await stat(restored)).size, size);
  return { dir, bank, backup, restored, src };
}

test('a sparse image comes back identical and stays sparse; holes are not read', async (t) => {
  const { backup, restored } = await roundTrip(t, 256 * MiB, [[0, 4096], [10 * MiB + 123, 70_000], [200 * MiB, 3 * MiB]]);
  assert.equal(backup.sourceBytes, 256 * MiB);
  assert.ok(backup.readBytes < 8 * MiB, `read ${backup.readBytes} bytes of a sparse image holding ~3 MiB`);
  assert.ok(await allocated(restored) < 16 * MiB, 'the restored image is not sparse');
});

test('data scattered in 4 KiB pieces: the restored image allocates what the source does, not whole blocks', async (t) => {
  // One 4 KiB page of data in every 64 KiB block: whole blocks written back would allocate 16 times more.
  const pieces: [number, number][] = Array.from({ length: 256 }, (_, i) => [i * 64 * KiB + 8 * KiB, 4 * KiB]);
  const { restored, src } = await roundTrip(t, 16 * MiB + 5000, [...pieces, [16 * MiB, 5000]]);
  const [have, source] = [await allocated(restored), await allocated(src)];
  assert.ok(have <= source + 256 * KiB, `the restored image allocates ${have} bytes, the source ${source}`);
});

test('sizes that are not a multiple of the block size, and an empty image', async (t) => {
  await roundTrip(t, 5 * MiB + 12345, [[0, 5 * MiB + 12345]]);
  await roundTrip(t, 12345, [[0, 12345]]);
  const { backup } = await roundTrip(t, 0, []);
  assert.equal(backup.sourceBytes, 0);
});

test('a sparse image over 4 GiB, with data across the 4 GiB boundary', async (t) => {
  const four = 4 * 1024 * MiB;
  await roundTrip(t, four + 5 * MiB + 7, [[MiB, MiB], [four - 100_000, 300_000], [four + 5 * MiB + 7 - 1000, 1000]]);
});

test('one changed byte costs one new data chunk and one index page; the chain restores each point in time', async (t) => {
  const { bank, src, backup: full, dir } = await roundTrip(t, 64 * MiB, [[0, 64 * MiB]]);
  const before = await sha256(src);
  await writeAt(src, 33 * MiB + 5, Buffer.from([0x42 ^ 0xff]));
  const b = await openTestBank(bank);
  const chunksBefore = (await b.loadIndex()).size;
  const incr = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'disk', '--json'])).json<BackupJson>();
  assert.equal(incr.parent, full.id, 'the default parent is the newest checkpoint of the resource');
  assert.equal((await b.loadIndex()).size - chunksBefore, 2, 'expected exactly one new data chunk and one new index page');
  assert.ok(incr.writtenBytes < 256 * 1024, `an incremental of one byte wrote ${incr.writtenBytes} bytes`);

  const first = join(dir, 'first.img'), second = join(dir, 'second.img');
  await cairnOk(['restore', full.id, '--bank', bank, '--to', first]);
  await cairnOk(['restore', incr.id.slice(0, 8), '--bank', bank, '--to', second]);
  assert.equal(await sha256(first), before);
  assert.equal(await sha256(second), await sha256(src));

  const fullAgain = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'disk', '--full', '--json'])).json<BackupJson>();
  assert.equal(fullAgain.parent, null);
  assert.ok(fullAgain.writtenBytes < 256 * 1024, 'a full backup of known data is deduplicated against the bank');
});

test('checkpoints --json lists what was made, with the documented fields', async (t) => {
  const { bank, backup } = await roundTrip(t, 2 * MiB, [[0, MiB]]);
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Record<string, unknown>[]>();
  assert.equal(list.length, 1);
  const [c] = list;
  assert.deepEqual({ id: c!.id, name: c!.name, type: c!.type, parent: c!.parent, sourceBytes: c!.sourceBytes }, { id: backup.id, name: 'disk', type: 'image', parent: null, sourceBytes: 2 * MiB });
  assert.match(String(c!.createdAt), /^\d{4}-\d\d-\d\dT/);
});

test('bad input gets a clear error and changes nothing', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  const missing = await cairn(['backup', 'image', join(dir, 'nope.img'), '--bank', bank, '--name', 'x']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot open .*nope\.img/);
  const noName = await cairn(['backup', 'image', join(dir, 'nope.img'), '--bank', bank]);
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /--name/);
  const noSuch = await cairn(['restore', 'abcdef12', '--bank', bank, '--to', join(dir, 'out')]);
  assert.equal(noSuch.code, 2);
  assert.match(noSuch.stderr, /no checkpoint starts with abcdef12/);
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<unknown[]>();
  assert.deepEqual(list, []);
});

test('an image that grew or shrank between backups is backed up incrementally and restores exactly', async (t) => {
  const { bank, src, dir } = await roundTrip(t, 8 * MiB, [[0, 8 * MiB]]);
  const { truncate } = await import('node:fs/promises');
  for (const size of [8 * MiB + 1000, 70 * MiB + 3, 5 * MiB - 1]) {
    await truncate(src, size);
    await writeAt(src, size - 10, Buffer.from('0123456789'));
    const b = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'disk', '--json'])).json<BackupJson>();
    assert.equal(b.sourceBytes, size);
    const out = join(dir, `out-${size}.img`);
    await cairnOk(['restore', b.id, '--bank', bank, '--to', out]);
    assert.equal(await sha256(out), await sha256(src), `restore after resizing to ${size} differs`);
  }
});

test('restores onto a block device: every byte of the image, zeros over what the device held; a device too small is refused', async (t) => {
  const dir = await tempDir(t);
  const backing = join(dir, 'device.raw');
  await writeFile(backing, Buffer.alloc(8 * MiB, 0xaa)); // old data everywhere: zero blocks must be written
  const attached = spawnSync('losetup', ['--find', '--show', backing], { encoding: 'utf8' });
  if (attached.status !== 0) return t.skip(`no loop device to restore onto (losetup: ${attached.stderr.trim()}); needs root and the loop module`);
  const device = attached.stdout.trim();
  t.after(() => { spawnSync('losetup', ['--detach', device]); });

  // Not a multiple of the page: the device's last bytes are written through the page cache.
  const size = 6 * MiB + 5000;
  const { bank, backup, src } = await roundTrip(t, size, [[0, 4096], [MiB + 100, 70_000], [5 * MiB, MiB + 5000]]);
  await cairnOk(['restore', backup.id, '--bank', bank, '--to', device]);
  const onDevice = await readFile(device);
  assert.ok(onDevice.subarray(0, size).equals(await readFile(src)), 'the device holds the image');
  assert.ok(onDevice.subarray(size).equals(Buffer.alloc(8 * MiB - size, 0xaa)), 'nothing past the image was touched');

  const big = join(dir, 'big.img');
  await makeImage(big, 9 * MiB, [[0, 9 * MiB]]);
  const tooBig = (await cairnOk(['backup', 'image', big, '--bank', bank, '--name', 'big', '--json'])).json<BackupJson>();
  const refused = await cairn(['restore', tooBig.id, '--bank', bank, '--to', device]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /holds 8388608 bytes, the image 9437184: restore to a device of at least 9437184 bytes, or to a file/);
  assert.ok((await readFile(device)).equals(onDevice), 'a refused restore changes nothing');
});
