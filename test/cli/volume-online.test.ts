// Volumes served by qemu-storage-daemon, backed up while a client keeps writing through the daemon's
// own NBD export: the checkpoint is the volume at the instant of the QMP transaction, incrementals
// read only what the bitmap marks, and nothing Cairn added (overlay, job, export, bitmaps) stays.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { listening, qemu, startDaemon } from '../testkit/qemu.ts';
import { NbdClient } from '../../src/nbd/nbd-client.ts';
import { QmpClient } from '../../src/plugins/qemu/qmp-client.ts';

const KiB = 1024, MiB = 1024 * KiB;

interface Daemon { dir: string; bank: string; qmp: string; nbd: string; volume: string; client: NbdClient }

/** A daemon serving a qcow2 volume writable to clients on its NBD server, with `dataMiB` of data written by a client. */
async function daemon(t: TestContext, dataMiB: number): Promise<Daemon> {
  const dir = await tempDir(t);
  const image = join(dir, 'vol.qcow2'), qmp = join(dir, 'qmp.sock'), nbd = join(dir, 'nbd.sock'), bank = join(dir, 'bank');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', image, '1G']);
  await startDaemon(t, 'qemu-storage-daemon', [
    '--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=qcow2,file=file0,node-name=vol0',
    '--nbd-server', `addr.type=unix,addr.path=${nbd}`, '--export', 'type=nbd,id=clients,node-name=vol0,name=vol0,writable=on',
    '--chardev', `socket,id=qmp0,path=${qmp},server=on,wait=off`, '--monitor', 'chardev=qmp0',
  ], async () => (await listening(nbd)) && listening(qmp));
  const client = await NbdClient.connect({ socket: nbd, exportName: 'vol0' });
  t.after(() => client.close());
  const piece = Buffer.alloc(MiB);
  for (let m = 0; m < dataMiB; m++) await client.write(m * MiB, piece.fill(m % 251 + 1));
  await client.flush();
  await cairnOk(['bank', 'init', bank]);
  return { dir, bank, qmp, nbd, volume: `${qmp}#vol0`, client };
}

/** The volume as it is now, copied out through the clients' export. */
async function snapshot(d: Daemon, name: string): Promise<string> {
  const out = join(d.dir, name);
  await qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', `nbd+unix:///vol0?socket=${d.nbd}`, out]);
  return out;
}

async function restoresTo(d: Daemon, id: string, expected: string): Promise<void> {
  const out = join(d.dir, `restored-${id}.raw`);
  await cairnOk(['restore', id, '--bank', d.bank, '--to', out]);
  await qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, expected]);
}

/** Ends the client's connection, its export and the daemon's NBD server. */
async function stopClientsServer(d: Daemon): Promise<void> {
  await d.client.close();
  const qmp = await QmpClient.connect(d.qmp);
  try {
    await qmp.execute('block-export-del', { id: 'clients' });
    for (let i = 0; i < 100 && (await qmp.execute<unknown[]>('query-block-exports')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await qmp.execute('nbd-server-stop');
  } finally {
    qmp.close();
  }
}

/** What Cairn left in the daemon: block nodes, jobs, exports and bitmaps of its own. */
async function leftovers(d: Daemon): Promise<{ nodes: string[]; jobs: number; exports: string[]; bitmaps: string[] }> {
  const qmp = await QmpClient.connect(d.qmp);
  try {
    const nodes = await qmp.execute<{ 'node-name': string; 'dirty-bitmaps'?: { name: string }[] }[]>('query-named-block-nodes', { flat: true });
    const exports = await qmp.execute<{ id: string }[]>('query-block-exports');
    return {
      nodes: nodes.map((n) => n['node-name']).filter((n) => n.startsWith('cairn')),
      jobs: (await qmp.execute<unknown[]>('query-jobs')).length,
      exports: exports.map((e) => e.id),
      bitmaps: nodes.flatMap((n) => (n['dirty-bitmaps'] ?? []).map((b) => b.name)),
    };
  } finally {
    qmp.close();
  }
}

test('writes made after the freeze never appear in the checkpoint; incrementals read only dirty clusters', async (t) => {
  const d = await daemon(t, 256);
  const before = await snapshot(d, 'before.raw');
  // Start the backup, and once it reports progress (the point in time is fixed), overwrite the end of the data.
  let wrote: Promise<void> | undefined;
  const full = await cairnOk(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--nbd-socket', d.nbd, '--json'], {
    onSpawn: (child) => child.stderr!.once('data', () => {
      wrote = (async () => {
        for (let m = 200; m < 256; m++) await d.client.write(m * MiB, Buffer.alloc(MiB, 0xee));
        await d.client.flush();
      })();
    }),
  });
  await wrote;
  const fullJson = full.json<{ id: string; readBytes: number }>();
  assert.equal(fullJson.readBytes, 256 * MiB);
  await restoresTo(d, fullJson.id, before);
  const left = await leftovers(d);
  assert.deepEqual(left.nodes, []);
  assert.equal(left.jobs, 0);
  assert.deepEqual(left.exports, ['clients']);
  assert.equal(left.bitmaps.length, 1);
  assert.ok(left.bitmaps[0]!.endsWith(fullJson.id));

  // The writes after the freeze, plus 8 KiB elsewhere, are what the next backup reads.
  await d.client.write(600 * MiB + 4 * KiB, Buffer.alloc(8 * KiB, 0x55));
  await d.client.flush();
  const now = await snapshot(d, 'now.raw');
  const incr = (await cairnOk(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--nbd-socket', d.nbd, '--json'])).json<{ id: string; parent: string; readBytes: number }>();
  assert.equal(incr.parent, fullJson.id);
  assert.equal(incr.readBytes, 56 * MiB + 64 * KiB);
  await restoresTo(d, incr.id, now);
  assert.deepEqual((await leftovers(d)).bitmaps.map((b) => b.slice(-16)), [incr.id]);
});

test('a daemon without an NBD server gets one for the backup; mistakes leave the daemon as it was', async (t) => {
  const d = await daemon(t, 4);
  const wrongNode = await cairn(['backup', 'volume', `${d.qmp}#nope`, '--bank', d.bank, '--name', 'vol']);
  assert.equal(wrongNode.code, 2);
  assert.match(wrongNode.stderr, /no block node 'nope' \(it has: .*vol0/);
  // The daemon runs an NBD server (for its clients), so Cairn cannot start its own: it says what to pass.
  const noSocket = await cairn(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol']);
  assert.equal(noSocket.code, 2);
  assert.match(noSocket.stderr, /--nbd-socket/);
  assert.deepEqual(await leftovers(d), { nodes: [], jobs: 0, exports: ['clients'], bitmaps: [] });
  // Without the clients' server (stopped here), Cairn starts and stops one of its own.
  await stopClientsServer(d);
  const full = (await cairnOk(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--json'])).json<{ readBytes: number }>();
  assert.equal(full.readBytes, 4 * MiB);
  const left = await leftovers(d);
  assert.deepEqual([left.nodes, left.jobs, left.exports, left.bitmaps.length], [[], 0, [], 1]);
});

test('a backup killed midway leaves leftovers that the next backup removes by itself', async (t) => {
  const d = await daemon(t, 64);
  const full = (await cairnOk(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--nbd-socket', d.nbd, '--json'])).json<{ id: string }>();
  // 192 MiB of random data for the next incremental to read, so that it is killed midway, not after its commit.
  for (let m = 64; m < 256; m++) await d.client.write(m * MiB, randomBytes(MiB));
  await d.client.flush();
  await stopClientsServer(d); // Cairn then starts its own NBD server, which the kill leaves running

  const killed = await cairn(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--json'], {
    onSpawn: (child) => child.stderr!.once('data', () => child.kill('SIGKILL')),
  });
  assert.equal(killed.signal, 'SIGKILL');
  const left = await leftovers(d);
  assert.ok(left.nodes.length === 1 && left.exports.length === 1 && left.jobs === 1, `leftovers: ${JSON.stringify(left)}`);

  const next = (await cairnOk(['backup', 'volume', d.volume, '--bank', d.bank, '--name', 'vol', '--json'])).json<{ id: string; parent: string; warnings?: string[] }>();
  assert.equal(next.parent, full.id);
  assert.match(next.warnings?.join('\n') ?? '', /stopped recording/);
  const after = await leftovers(d);
  assert.deepEqual([after.nodes, after.jobs, after.exports], [[], 0, []]);
  assert.deepEqual(after.bitmaps.map((b) => b.slice(-16)), [next.id]);
  const list = (await cairnOk(['checkpoints', '--bank', d.bank, '--json'])).json<{ id: string }[]>();
  assert.deepEqual(list.map((c) => c.id), [full.id, next.id], 'the killed backup left no checkpoint');
  // The newest checkpoint restores the volume as it is (read through the daemon's block layer).
  const restored = join(d.dir, 'restored.raw');
  await cairnOk(['restore', next.id, '--bank', d.bank, '--to', restored]);
  await qemu('qemu-img', ['compare', '-U', '-f', 'raw', '-F', 'qcow2', restored, join(d.dir, 'vol.qcow2')]);
});

test('a daemon killed during a backup: the backup fails at once, and after a restart the next one recovers', async (t) => {
  const dir = await tempDir(t);
  const image = join(dir, 'vol.qcow2'), qmp = join(dir, 'qmp.sock'), bank = join(dir, 'bank'), volume = `${qmp}#vol0`;
  // Random data, so the backup takes long enough to be killed midway.
  const raw = join(dir, 'random.raw');
  await writeFile(raw, randomBytes(256 * MiB));
  await qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, image]);
  await qemu('qemu-img', ['resize', '-q', image, '1G']);
  const start = () => startDaemon(t, 'qemu-storage-daemon', [
    '--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=qcow2,file=file0,node-name=vol0',
    '--chardev', `socket,id=qmp0,path=${qmp},server=on,wait=off`, '--monitor', 'chardev=qmp0',
  ], () => listening(qmp));
  const first = await start();
  await cairnOk(['bank', 'init', bank]);
  const full = (await cairnOk(['backup', 'volume', volume, '--bank', bank, '--name', 'vol', '--json'])).json<{ id: string }>();

  const started = Date.now();
  const failed = await cairn(['backup', 'volume', volume, '--bank', bank, '--name', 'vol', '--full', '--json'], {
    onSpawn: (child) => child.stderr!.once('data', () => first.kill('SIGKILL')),
  });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /closed the connection|ECONNRESET|failed/);
  assert.ok(Date.now() - started < 20_000, 'the backup gave up at once, not after a timeout');

  await start();
  const next = (await cairnOk(['backup', 'volume', volume, '--bank', bank, '--name', 'vol', '--json'])).json<{ id: string; parent: string; readBytes: number; warnings?: string[] }>();
  assert.equal(next.parent, full.id);
  assert.equal(next.readBytes, 256 * MiB, 'the bitmap could not be trusted: the whole volume was read');
  assert.match(next.warnings?.join('\n') ?? '', /whole volume was read/);
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<{ id: string }[]>();
  assert.deepEqual(list.map((c) => c.id), [full.id, next.id]);
  const out = join(dir, 'restored.raw');
  await cairnOk(['restore', next.id, '--bank', bank, '--to', out]);
  await qemu('qemu-img', ['compare', '-U', '-f', 'raw', '-F', 'qcow2', out, image]);
});
