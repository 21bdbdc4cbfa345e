// The NBD client against real servers (qemu-nbd, qemu-storage-daemon): bytes read equal the volume's,
// allocation and dirty-bitmap extents match what was written, and every failure is a clear error.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NbdClient, type NbdExtent } from '../../src/nbd/nbd-client.ts';
import { STATE_ZERO } from '../../src/nbd/protocol.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { freePort, listening, qemu, qemuNbd, qemuWrite, startDaemon } from '../testkit/qemu.ts';

const MiB = 1 << 20, KiB = 1024;

/** A 64 MiB qcow2 with 1 MiB of 0xab at 1 MiB, then bitmap b0, then 64 KiB at 8 MiB and 8 KiB at 20 MiB. */
async function volume(t: TestContext): Promise<{ dir: string; image: string; raw: Buffer }> {
  const dir = await tempDir(t);
  const image = join(dir, 'vol.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
  await qemuWrite(image, 'write -P 0xab 1M 1M');
  await qemu('qemu-img', ['bitmap', '--add', image, 'b0']);
  await qemuWrite(image, 'write -P 0xcd 8M 64k', 'write -P 0x11 20M 8k');
  await qemu('qemu-img', ['convert', '-O', 'raw', image, join(dir, 'vol.raw')]);
  return { dir, image, raw: await readFile(join(dir, 'vol.raw')) };
}

async function all(it: AsyncIterable<NbdExtent>): Promise<NbdExtent[]> {
  const out: NbdExtent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('reads over a Unix socket, many in flight, equal the volume byte for byte', async (t) => {
  const { dir, image, raw } = await volume(t);
  const socket = join(dir, 'nbd.sock');
  await qemuNbd(t, image, { socket });
  const client = await NbdClient.connect({ socket, exportName: '' });
  t.after(() => client.close());
  assert.equal(client.size, 64 * MiB);
  assert.equal(client.readOnly, true);
  // 256 reads of 256 KiB, all sent before any answer is awaited, plus one read larger than maxRead.
  const parts = await Promise.all(Array.from({ length: 256 }, (_, i) => client.read(i * 256 * KiB, 256 * KiB)));
  assert.ok(Buffer.concat(parts).equals(raw), 'pipelined reads differ from the volume');
  const whole = await client.read(0, client.size);
  assert.ok(Buffer.from(whole).equals(raw));
  const into = new Uint8Array(100);
  await client.read(8 * MiB - 50, 100, into);
  assert.ok(Buffer.from(into).equals(raw.subarray(8 * MiB - 50, 8 * MiB + 50)));
});

test('base:allocation and a dirty bitmap give the written extents', async (t) => {
  const { dir, image } = await volume(t);
  const socket = join(dir, 'nbd.sock');
  await qemuNbd(t, image, { socket }, ['b0']);
  const client = await NbdClient.connect({ socket, exportName: '' }, { metaContexts: ['base:allocation', 'qemu:dirty-bitmap:b0'] });
  t.after(() => client.close());
  // What reads as zeros (holes, and the unwritten rest of the cluster at 20 MiB) needs no reading.
  const data = (await all(client.extents('base:allocation'))).filter((e) => !(e.flags & STATE_ZERO));
  assert.deepEqual(data.map((e) => [e.offset, e.length]), [[1 * MiB, 1 * MiB], [8 * MiB, 64 * KiB], [20 * MiB, 8 * KiB]]);
  // Only what was written after the bitmap was added, in whole 64 KiB clusters.
  const dirty = (await all(client.extents('qemu:dirty-bitmap:b0'))).filter((e) => e.flags & 1);
  assert.deepEqual(dirty.map((e) => [e.offset, e.length]), [[8 * MiB, 64 * KiB], [20 * MiB, 64 * KiB]]);
  // A sub-range is clipped to what was asked.
  const part = await all(client.extents('qemu:dirty-bitmap:b0', 8 * MiB + 4 * KiB, 8 * KiB));
  assert.deepEqual(part, [{ offset: 8 * MiB + 4 * KiB, length: 8 * KiB, flags: 1 }]);
});

test('TCP on loopback works the same', async (t) => {
  const { image, raw } = await volume(t);
  const port = await freePort();
  await qemuNbd(t, image, { port });
  const client = await NbdClient.connect({ host: '127.0.0.1', port, exportName: '' });
  t.after(() => client.close());
  assert.ok(Buffer.from(await client.read(1 * MiB, 2 * MiB)).equals(raw.subarray(1 * MiB, 3 * MiB)));
});

test('a qemu-storage-daemon export, with its bitmap, read while it serves', async (t) => {
  const { dir, image, raw } = await volume(t);
  const socket = join(dir, 'qsd-nbd.sock'), qmp = join(dir, 'qmp.sock');
  await qemu('qemu-img', ['bitmap', '--disable', image, 'b0']); // a read-only export takes only a frozen bitmap
  await startDaemon(t, 'qemu-storage-daemon', [
    '--blockdev', `driver=file,filename=${image},node-name=file0`, '--blockdev', 'driver=qcow2,file=file0,node-name=vol0',
    '--nbd-server', `addr.type=unix,addr.path=${socket}`,
    '--export', 'type=nbd,id=e0,node-name=vol0,name=vol0,writable=off,bitmaps.0=b0',
    '--chardev', `socket,id=qmp0,path=${qmp},server=on,wait=off`, '--monitor', 'chardev=qmp0',
  ], () => listening(socket));
  const client = await NbdClient.connect({ socket, exportName: 'vol0' }, { metaContexts: ['qemu:dirty-bitmap:b0'] });
  t.after(() => client.close());
  assert.ok(Buffer.from(await client.read(0, client.size)).equals(raw));
  const dirty = (await all(client.extents('qemu:dirty-bitmap:b0'))).filter((e) => e.flags & 1);
  assert.deepEqual(dirty.map((e) => e.offset), [8 * MiB, 20 * MiB]);
});

test('clear errors: no server, unknown export, missing bitmap, out of range', async (t) => {
  const { dir, image } = await volume(t);
  const socket = join(dir, 'nbd.sock');
  await assert.rejects(NbdClient.connect({ socket, exportName: '' }), (e: Error & { code?: string }) =>
    e.code === 'source' && /cannot connect .*is the server running/.test(e.message));
  await qemuNbd(t, image, { socket }, ['b0']);
  await assert.rejects(NbdClient.connect({ socket, exportName: 'nope' }), (e: Error & { code?: string }) =>
    e.code === 'not-found' && /export 'nope'/.test(e.message));
  await assert.rejects(NbdClient.connect({ socket, exportName: '' }, { metaContexts: ['qemu:dirty-bitmap:gone'] }), (e: Error & { code?: string }) =>
    e.code === 'bad-input' && /no meta context qemu:dirty-bitmap:gone/.test(e.message));
  const client = await NbdClient.connect({ socket, exportName: '' });
  t.after(() => client.close());
  await assert.rejects(client.read(63 * MiB, 2 * MiB), /the export has 67108864 bytes/);
  await assert.rejects(client.blockStatus('base:allocation', 0, 4096), /base:allocation was not negotiated/);
  // The connection is still good after refused requests.
  assert.equal((await client.read(1 * MiB, 1))[0], 0xab);
});

test('a server killed mid-transfer fails every read in flight and every later one', async (t) => {
  const { dir, image } = await volume(t);
  const socket = join(dir, 'nbd.sock');
  const server = await qemuNbd(t, image, { socket });
  const client = await NbdClient.connect({ socket, exportName: '' });
  t.after(() => client.close());
  const reads = Array.from({ length: 64 }, (_, i) => client.read((i % 64) * MiB, MiB));
  server.kill('SIGKILL');
  const settled = await Promise.allSettled(reads);
  for (const r of settled) if (r.status === 'rejected') assert.match((r.reason as Error).message, /closed the connection|failed/);
  await assert.rejects(client.read(0, 1), (e: Error & { code?: string }) => e.code === 'source');
});

test('writes, many in flight, then a flush, land in the image; a read-only export refuses them', async (t) => {
  const { dir, image, raw } = await volume(t);
  const ro = join(dir, 'ro.sock');
  await qemuNbd(t, image, { socket: ro });
  const reader = await NbdClient.connect({ socket: ro, exportName: '' });
  await assert.rejects(reader.write(0, new Uint8Array(1)), /read-only/);
  await reader.close();

  const copy = join(dir, 'copy.qcow2'), socket = join(dir, 'rw.sock');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', copy, '64M']);
  await startDaemon(t, 'qemu-nbd', ['-t', '-k', socket, '-f', 'qcow2', copy], () => listening(socket));
  const writer = await NbdClient.connect({ socket, exportName: '' });
  assert.equal(writer.readOnly, false);
  // The volume's data, 1 MiB at a time, all writes sent before any acknowledgement is awaited.
  await Promise.all(Array.from({ length: 64 }, (_, i) => writer.write(i * MiB, raw.subarray(i * MiB, (i + 1) * MiB))));
  await writer.flush();
  assert.ok(Buffer.from(await writer.read(0, writer.size)).equals(raw));
  await writer.close();
  await qemu('qemu-img', ['compare', '-U', '-f', 'qcow2', '-F', 'qcow2', copy, image]);
});
