// `cairn backup volume` on offline qcow2 and raw volumes: incrementals read only what the dirty bitmap
// marks, restores equal the volume (qemu-img compare), and every broken bitmap state falls back to a
// whole read by itself, leaving exactly one bitmap of this bank behind.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { qemu, qemuWrite, startDaemon, listening } from '../testkit/qemu.ts';
import { imageInfo } from '../../src/plugins/volume/qemu-img.ts';

const KiB = 1024;

interface BackupJson { id: string; parent: string | null; readBytes: number; sourceBytes: number; warnings?: string[] }

async function setup(t: TestContext): Promise<{ dir: string; bank: string; vol: string }> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), vol = join(dir, 'vol.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', vol, '256M']);
  await qemuWrite(vol, 'write -P 0xab 0 16M', 'write -P 0x05 100M 3M');
  await cairnOk(['bank', 'init', bank]);
  return { dir, bank, vol };
}

const backup = async (bank: string, vol: string, ...extra: string[]): Promise<BackupJson> =>
  (await cairnOk(['backup', 'volume', vol, '--bank', bank, '--name', 'vol', '--json', ...extra])).json<BackupJson>();

/** The checkpoint restored to a raw file is the volume, byte for byte. */
async function assertRestores(dir: string, bank: string, id: string, vol: string): Promise<void> {
  const out = join(dir, `restored-${id}.raw`);
  await cairnOk(['restore', id, '--bank', bank, '--to', out]);
  await qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', out, vol]);
}

async function cairnBitmaps(vol: string): Promise<{ name: string; enabled: boolean }[]> {
  return (await imageInfo(vol, true)).bitmaps.filter((b) => b.name.startsWith('cairn-')).map(({ name, enabled }) => ({ name, enabled }));
}

test('a qcow2 incremental reads only the clusters written since the parent, and restores identical', async (t) => {
  const { dir, bank, vol } = await setup(t);
  const full = await backup(bank, vol);
  assert.equal(full.parent, null);
  assert.equal(full.readBytes, 19 * 1024 * KiB, 'the full backup reads the allocated data only');
  assert.deepEqual((await cairnBitmaps(vol)).map((b) => b.name.slice(-16)), [full.id]);
  await assertRestores(dir, bank, full.id, vol);

  const before = join(dir, 'before.raw');
  await qemu('qemu-img', ['convert', '-O', 'raw', vol, before]);
  // 8 KiB in one cluster and 64 KiB across two: three 64 KiB clusters are dirty.
  await qemuWrite(vol, 'write -P 0x77 5M 8k', `write -P 0x78 ${200 * 1024 * KiB - 32 * KiB} 64k`);
  const incr = await backup(bank, vol);
  assert.equal(incr.parent, full.id);
  assert.equal(incr.readBytes, 3 * 64 * KiB, 'only the dirty clusters are read');
  assert.equal(incr.warnings, undefined);
  assert.deepEqual(await cairnBitmaps(vol), [{ name: (await cairnBitmaps(vol))[0]!.name, enabled: true }]);
  assert.ok((await cairnBitmaps(vol))[0]!.name.endsWith(incr.id), 'the bitmap left is the new checkpoint\'s');
  await assertRestores(dir, bank, incr.id, vol);
  // The full checkpoint still restores the volume as it was.
  const old = join(dir, 'old.raw');
  await cairnOk(['restore', full.id, '--bank', bank, '--to', old]);
  await qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', old, before]);

  const none = await backup(bank, vol);
  assert.equal(none.readBytes, 0, 'nothing written: nothing read');
  await assertRestores(dir, bank, none.id, vol);
});

test('a missing, stopped or foreign bitmap state falls back to a whole read, with a warning, and cleans up', async (t) => {
  const { dir, bank, vol } = await setup(t);
  const full = await backup(bank, vol);
  const bitmap = (await cairnBitmaps(vol))[0]!.name;

  // Someone removed the bitmap.
  await qemu('qemu-img', ['bitmap', '--remove', vol, bitmap]);
  await qemuWrite(vol, 'write -P 0x21 1M 64k');
  const a = await backup(bank, vol);
  assert.equal(a.parent, full.id);
  assert.equal(a.readBytes, 19 * 1024 * KiB);
  assert.match(a.warnings?.join('\n') ?? '', /no dirty bitmap .* whole volume was read/);
  await assertRestores(dir, bank, a.id, vol);

  // A backup killed between switching bitmaps and committing: the parent's bitmap disabled, a stray new one.
  const [current] = await cairnBitmaps(vol);
  await qemu('qemu-img', ['bitmap', '--add', vol, `${current!.name.slice(0, -16)}0123456789abcdef`]);
  await qemu('qemu-img', ['bitmap', '--disable', vol, current!.name]);
  await qemuWrite(vol, 'write -P 0x22 2M 64k');
  const b = await backup(bank, vol);
  assert.match(b.warnings?.join('\n') ?? '', /stopped recording/);
  assert.equal(b.readBytes, 19 * 1024 * KiB);
  const left = await cairnBitmaps(vol);
  assert.deepEqual(left, [{ name: `${current!.name.slice(0, -16)}${b.id}`, enabled: true }]);
  await assertRestores(dir, bank, b.id, vol);

  // Bitmaps of other banks and of users are left alone; --full starts a new chain.
  await qemu('qemu-img', ['bitmap', '--add', vol, 'users-own']);
  await qemu('qemu-img', ['bitmap', '--add', vol, 'cairn-00000000-0123456789abcdef']);
  const c = await backup(bank, vol, '--full');
  assert.equal(c.parent, null);
  assert.deepEqual((await imageInfo(vol, true)).bitmaps.map((x) => x.name).sort(), ['cairn-00000000-0123456789abcdef', `${current!.name.slice(0, -16)}${c.id}`, 'users-own'].sort());
});

test('a volume in use is refused, and nothing changes', async (t) => {
  const { dir, bank, vol } = await setup(t);
  await backup(bank, vol);
  const before = await cairnBitmaps(vol);
  const socket = join(dir, 'rw.sock');
  // A writer holds the image, as a running VM does.
  await startDaemon(t, 'qemu-nbd', ['-t', '-k', socket, '-f', 'qcow2', vol], () => listening(socket));
  const r = await cairn(['backup', 'volume', vol, '--bank', bank, '--name', 'vol']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /in use/);
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<unknown[]>();
  assert.equal(list.length, 1);
  assert.deepEqual(await cairnBitmaps(vol), before);
});

test('backup image refuses a qcow2 file and names the command that reads its disk', async (t) => {
  const { bank, vol } = await setup(t);
  const r = await cairn(['backup', 'image', vol, '--bank', bank, '--name', 'vol']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is a qcow2 image: back it up with 'cairn backup volume'/);
  assert.deepEqual((await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<unknown[]>(), []);
});

test('a raw volume is read whole, holes skipped, and restores identical', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), raw = join(dir, 'vol.raw');
  await qemu('qemu-img', ['create', '-q', '-f', 'raw', raw, '64M']);
  await qemu('qemu-io', ['-f', 'raw', '-c', 'write -P 0x31 4M 1M', raw]);
  await cairnOk(['bank', 'init', bank]);
  const full = (await cairnOk(['backup', 'volume', raw, '--bank', bank, '--name', 'raw', '--json'])).json<BackupJson>();
  // The data, and the first block, which qemu-img create writes to: not the 63 MiB of holes.
  assert.ok(full.readBytes >= 1024 * KiB && full.readBytes <= 1088 * KiB, `read ${full.readBytes} bytes`);
  const out = join(dir, 'restored.raw');
  await cairnOk(['restore', full.id, '--bank', bank, '--to', out]);
  await qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, raw]);
});

test('--full-every n makes every n-th backup of a chain a full one', async (t) => {
  const { bank, vol } = await setup(t);
  const runs: BackupJson[] = [];
  for (let i = 0; i < 5; i++) {
    await qemuWrite(vol, `write -P 0x${(0x40 + i).toString(16)} ${i}M 64k`);
    runs.push(await backup(bank, vol, '--full-every', '3'));
  }
  assert.deepEqual(runs.map((r) => r.parent === null ? 'full' : 'incremental'), ['full', 'incremental', 'incremental', 'full', 'incremental']);
  assert.equal(runs[3]!.readBytes, 19 * 1024 * KiB, 'the policy full reads the whole volume');
  assert.equal(runs[4]!.parent, runs[3]!.id);
  assert.equal(runs[4]!.readBytes, 64 * KiB);
  const bad = await cairn(['backup', 'volume', vol, '--bank', bank, '--name', 'vol', '--full-every', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--full-every 0: give a whole number/);
});
