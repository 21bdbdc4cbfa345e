// The NBD client against libvirt's pull-mode backup export of a running domain: the full export reads
// the disk as it was at backup-begin, and an incremental export's bitmap marks what the guest wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chmod, writeFile } from 'node:fs/promises';
import { NbdClient, type NbdExtent } from '../../src/nbd/nbd-client.ts';
import { STATE_ZERO } from '../../src/nbd/protocol.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { guestWrite, qemuWritableDir, startDomain, virsh } from '../testkit/libvirt.ts';

const MiB = 1024 * 1024, KiB = 1024;

async function all(it: AsyncIterable<NbdExtent>): Promise<NbdExtent[]> {
  const out: NbdExtent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('libvirt pull-mode backups: the full export and an incremental one with its bitmap', async (t) => {
  const dir = await tempDir(t);
  await chmod(dir, 0o755); // QEMU runs as libvirt-qemu and must reach the disk
  const disk = join(dir, 'vda.qcow2'), run = await qemuWritableDir(join(dir, 'run'));
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  await qemuWrite(disk, 'write -P 0xab 1M 1M');
  const name = `cairn-test-${process.pid}`;
  await startDomain(t, name, disk);
  const socket = join(run, 'backup.sock');
  const backupXml = (incremental?: string): string => `<domainbackup mode='pull'>${incremental ? `<incremental>${incremental}</incremental>` : ''}
    <server transport='unix' socket='${socket}'/><disks><disk name='vda' backup='yes' type='file'><scratch file='${join(run, 'scratch.qcow2')}'/></disk></disks></domainbackup>`;
  const checkpointXml = (cp: string): string => `<domaincheckpoint><name>${cp}</name><disks><disk name='vda' checkpoint='bitmap'/></disks></domaincheckpoint>`;
  const begin = async (cp: string, incremental?: string): Promise<void> => {
    await writeFile(join(dir, 'b.xml'), backupXml(incremental));
    await writeFile(join(dir, 'c.xml'), checkpointXml(cp));
    await virsh('backup-begin', name, join(dir, 'b.xml'), join(dir, 'c.xml'));
  };

  await begin('cp0');
  // A write after backup-begin does not reach the export (the point in time is the backup's).
  await guestWrite(name, 'write -P 0xee 1M 64k');
  const full = await NbdClient.connect({ socket, exportName: 'vda' }, { metaContexts: ['base:allocation'] });
  const bytes = await full.read(1 * MiB, 1 * MiB);
  assert.ok(bytes.every((b) => b === 0xab), 'the export shows the disk as it was at backup-begin');
  const data = (await all(full.extents('base:allocation'))).filter((e) => !(e.flags & STATE_ZERO));
  assert.deepEqual(data.map((e) => [e.offset, e.length]), [[1 * MiB, 1 * MiB]]);
  await full.close();
  await virsh('domjobabort', name);

  await guestWrite(name, 'write -P 0xcd 8M 64k');
  await begin('cp1', 'cp0');
  const incr = await NbdClient.connect({ socket, exportName: 'vda' }, { metaContexts: ['qemu:dirty-bitmap:backup-vda'] });
  const dirty = (await all(incr.extents('qemu:dirty-bitmap:backup-vda'))).filter((e) => e.flags & 1);
  assert.deepEqual(dirty.map((e) => [e.offset, e.length]), [[1 * MiB, 64 * KiB], [8 * MiB, 64 * KiB]]);
  assert.ok((await incr.read(8 * MiB, 64 * KiB)).every((b) => b === 0xcd));
  await incr.close();
  await virsh('domjobabort', name);
});
