// Volume restores: to a new qcow2 image, and in place into the existing volume writing only the
// blocks that differ. Every result is checked with qemu-img compare against the volume as backed up.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { listening, qemu, qemuWrite, startDaemon } from '../testkit/qemu.ts';
import { imageInfo } from '../../src/plugins/volume/qemu-img.ts';

const KiB = 1024, MiB = 1024 * KiB;

interface RestoreJson { restoredBytes: number; writtenBytes: number; comparedBytes?: number }

/** A bank with one checkpoint of a 256 MiB qcow2 volume; `before.raw` is the volume as backed up. */
async function backedUp(t: TestContext): Promise<{ dir: string; bank: string; vol: string; id: string; before: string }> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), vol = join(dir, 'vol.qcow2'), before = join(dir, 'before.raw');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', vol, '256M']);
  await qemuWrite(vol, 'write -P 0xab 0 16M', 'write -P 0x05 100M 3M');
  await cairnOk(['bank', 'init', bank]);
  const { id } = (await cairnOk(['backup', 'volume', vol, '--bank', bank, '--name', 'vol', '--json'])).json<{ id: string }>();
  await qemu('qemu-img', ['convert', '-O', 'raw', vol, before]);
  return { dir, bank, vol, id, before };
}

test('a checkpoint restores to a new, sparse qcow2 image', async (t) => {
  const { dir, bank, id, before } = await backedUp(t);
  const out = join(dir, 'new.qcow2');
  const r = (await cairnOk(['restore', id, '--bank', bank, '--to', out, '--json'])).json<RestoreJson>();
  assert.equal(r.restoredBytes, 256 * MiB);
  assert.equal(r.writtenBytes, 19 * MiB, 'only the data is written');
  const info = await imageInfo(out, true);
  assert.equal(info.format, 'qcow2');
  assert.equal(info.virtualSize, 256 * MiB);
  await qemu('qemu-img', ['compare', '-F', 'raw', out, before]);
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes('partial')), []);
  // --format qcow2 works whatever the name; --format with anything else is refused.
  await cairnOk(['restore', id, '--bank', bank, '--to', join(dir, 'other.img'), '--format', 'qcow2']);
  assert.equal((await imageInfo(join(dir, 'other.img'), true)).format, 'qcow2');
  const bad = await cairn(['restore', id, '--bank', bank, '--to', join(dir, 'x.img'), '--format', 'vmdk']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /raw or qcow2/);
});

test('in place, only the blocks that differ are written, and the next incremental sees them', async (t) => {
  const { dir, bank, vol, id, before } = await backedUp(t);
  // Change one cluster, fill a hole, and grow the volume.
  await qemuWrite(vol, 'write -P 0x99 1M 64k', 'write -P 0x98 50M 1M');
  await qemu('qemu-img', ['resize', '-q', vol, '300M']);
  const r = (await cairnOk(['restore', id, '--bank', bank, '--to', vol, '--in-place', '--json'])).json<RestoreJson>();
  assert.equal(r.comparedBytes, 256 * MiB);
  assert.equal(r.writtenBytes, 64 * KiB + 1 * MiB, 'the changed cluster, and zeros over the filled hole');
  assert.equal((await imageInfo(vol, true)).virtualSize, 256 * MiB, 'resized back to the checkpoint\'s size');
  await qemu('qemu-img', ['compare', '-F', 'raw', vol, before]);
  // The restore's writes went through QEMU, so the volume's bitmap recorded them: the next backup
  // reads them, and restores the volume as it is now.
  const next = (await cairnOk(['backup', 'volume', vol, '--bank', bank, '--name', 'vol', '--json'])).json<{ id: string; readBytes: number; parent: string }>();
  assert.equal(next.parent, id);
  assert.ok(next.readBytes >= 64 * KiB + 1 * MiB && next.readBytes < 4 * MiB, `read ${next.readBytes}`);
  const again = join(dir, 'again.raw');
  await cairnOk(['restore', next.id, '--bank', bank, '--to', again]);
  await qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', again, before]);
});

test('in place on the newest checkpoint, its bitmap says what to write: nothing is read', async (t) => {
  const { bank, vol, id, before } = await backedUp(t);
  await qemuWrite(vol, 'write -P 0x99 1M 64k', 'write -P 0x98 50M 1M');
  const r = (await cairnOk(['restore', id, '--bank', bank, '--to', vol, '--in-place', '--json'])).json<RestoreJson>();
  assert.equal(r.comparedBytes, 0);
  assert.equal(r.writtenBytes, 64 * KiB + 1 * MiB);
  await qemu('qemu-img', ['compare', '-F', 'raw', vol, before]);
});

test('in place is refused while the volume is in use, or when it does not exist', async (t) => {
  const { dir, bank, vol, id } = await backedUp(t);
  await qemuWrite(vol, 'write -P 0x99 1M 64k');
  const now = join(dir, 'now.raw');
  await qemu('qemu-img', ['convert', '-O', 'raw', vol, now]);
  const socket = join(dir, 'rw.sock');
  await startDaemon(t, 'qemu-nbd', ['-t', '-k', socket, '-f', 'qcow2', vol], () => listening(socket));
  const r = await cairn(['restore', id, '--bank', bank, '--to', vol, '--in-place']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /in use/);
  await qemu('qemu-img', ['compare', '-U', '-F', 'raw', vol, now]);
  const missing = await cairn(['restore', id, '--bank', bank, '--to', join(dir, 'gone.qcow2'), '--in-place']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist; leave out --in-place/);
});
