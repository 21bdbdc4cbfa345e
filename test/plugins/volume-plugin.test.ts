// The volume plugin's own surface: what it discovers in a directory and in a running daemon, the
// schemas it publishes, and forget(), which removes the bitmap a deleted checkpoint no longer needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { volumePlugin } from '../../src/plugins/volume/volume-plugin.ts';
import { imageInfo } from '../../src/plugins/volume/qemu-img.ts';
import { QmpClient } from '../../src/plugins/qemu/qmp-client.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { listening, qemu, startDaemon } from '../testkit/qemu.ts';

const MiB = 1024 * 1024;

test('discover lists the qcow2 and raw volumes of a directory, with format, size and whether in use', async (t) => {
  const dir = await tempDir(t);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'a.qcow2'), '64M']);
  await qemu('qemu-img', ['bitmap', '--add', join(dir, 'a.qcow2'), 'cairn-12345678-0123456789abcdef']);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'busy.qcow2'), '32M']);
  await qemu('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'b.img'), '16M']);
  await writeFile(join(dir, 'notes.txt'), 'not a volume\n');
  const socket = join(dir, 'rw.sock');
  await startDaemon(t, 'qemu-nbd', ['-t', '-k', socket, '-f', 'qcow2', join(dir, 'busy.qcow2')], () => listening(socket));
  const found = await volumePlugin.discover(dir);
  assert.deepEqual(found.map((r) => [r.name, r.sizeBytes, r.details?.format, r.details?.inUse]), [
    ['a.qcow2', 64 * MiB, 'qcow2', false], ['b.img', 16 * MiB, 'raw', false], ['busy.qcow2', 32 * MiB, 'qcow2', true],
  ]);
  assert.deepEqual(found[0]!.details?.bitmaps, ['cairn-12345678-0123456789abcdef']);
  assert.ok(found.every((r) => r.type === 'volume' && r.id === join(dir, r.name)));
  await assert.rejects(volumePlugin.discover(join(dir, 'nowhere')), /does not exist/);
});

test('discover lists the volumes of a running daemon; forget removes a checkpoint\'s bitmap there and in files', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'v.qcow2'), qmp = join(dir, 'qmp.sock');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', image, '48M']);
  await startDaemon(t, 'qemu-storage-daemon', [
    '--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=qcow2,file=file0,node-name=vol0',
    '--chardev', `socket,id=qmp0,path=${qmp},server=on,wait=off`, '--monitor', 'chardev=qmp0',
  ], () => listening(qmp));
  const found = await volumePlugin.discover(qmp);
  assert.deepEqual(found.map((r) => [r.id, r.sizeBytes, r.details?.format]), [[`${qmp}#vol0`, 48 * MiB, 'qcow2']]);

  // A monitor serves one client at a time: each connection here ends before the plugin's begins.
  const add = await QmpClient.connect(qmp);
  await add.execute('block-dirty-bitmap-add', { node: 'vol0', name: 'cairn-abcdef01-00000000000000aa', persistent: true });
  add.close();
  await volumePlugin.forget(`${qmp}#vol0`, '00000000000000aa', 'abcdef01');
  await volumePlugin.forget(`${qmp}#vol0`, '00000000000000aa', 'abcdef01'); // already gone: fine
  const client = await QmpClient.connect(qmp);
  t.after(() => client.close());
  const nodes = await client.execute<{ 'node-name': string; 'dirty-bitmaps'?: unknown[] }[]>('query-named-block-nodes', { flat: true });
  assert.deepEqual(nodes.find((n) => n['node-name'] === 'vol0')?.['dirty-bitmaps'] ?? [], []);

  const file = join(dir, 'f.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', file, '8M']);
  await qemu('qemu-img', ['bitmap', '--add', file, 'cairn-abcdef01-00000000000000bb']);
  await qemu('qemu-img', ['bitmap', '--add', file, 'mine']);
  await volumePlugin.forget(file, '00000000000000bb', 'abcdef01');
  assert.deepEqual((await imageInfo(file, true)).bitmaps.map((b) => b.name), ['mine']);
});

test('the published schemas describe the options and targets', () => {
  assert.equal(volumePlugin.type, 'volume');
  assert.equal(volumePlugin.backupOptionsSchema.type, 'object');
  assert.deepEqual(volumePlugin.restoreTargetSchema.required, ['path']);
  assert.deepEqual((volumePlugin.restoreTargetSchema.properties as Record<string, { enum?: string[] }>).format?.enum, ['raw', 'qcow2']);
});

test('cairn resources lists them, as a table or JSON, and says what is wrong with a bad location', async (t) => {
  const dir = await tempDir(t);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'web.qcow2'), '64M']);
  const text = await cairnOk(['resources', dir]);
  assert.match(text.stdout, /web\.qcow2\s+volume\s+64\.0 MiB\s+qcow2\s+no\s+yes/);
  const json = (await cairnOk(['resources', dir, '--json'])).json<{ id: string; type: string; sizeBytes: number }[]>();
  assert.deepEqual(json.map((r) => [r.id, r.type, r.sizeBytes]), [[join(dir, 'web.qcow2'), 'volume', 64 * MiB]]);
  const bad = await cairn(['resources', join(dir, 'nowhere')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /does not exist/);
});
