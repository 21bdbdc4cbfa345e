// Server backups under failure: the point in time holds while the guest writes, and a QEMU, libvirtd
// or Cairn killed during a backup leaves a state the next backup recovers from by itself (with one
// checkpoint of this bank left in libvirt, and restores identical to the disks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cairn } from '../testkit/cli.ts';
import { openTestBank } from '../testkit/bank.ts';
import { guestWrite, killLibvirtd, qemuPid, restartLibvirtd, virsh } from '../testkit/libvirt.ts';
import { qemu } from '../testkit/qemu.ts';
import { backup, ourCheckpoints, same, setupServer, snapshot, type Setup } from '../testkit/server.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupServer } from '../../src/mover/server-backup.ts';
import { restoreImage } from '../../src/mover/image-restore.ts';
import { serverPlugin } from '../../src/plugins/libvirt/server-plugin.ts';
import type { Manifest } from '../../src/bank/manifest.ts';
import type { ServerInput } from '../../src/core/plugin.ts';

const KiB = 1024, MiB = 1024 * KiB;

/** A backup through the plugin, with `during` run after the point in time is fixed and before the disks are read. */
async function backupWith(s: Setup, parent: Manifest | null, during: (input: ServerInput) => Promise<void>): Promise<Manifest> {
  const bank = await openTestBank(s.bank);
  const pool = new CodecPool();
  pool.unlock(bank.keys);
  try {
    const tag = bank.descriptor.bankId.slice(0, 8);
    return await serverPlugin().protect({ resourceId: s.name, parentId: parent?.id ?? null, bankTag: tag, options: {} }, async (input) => {
      await during(input);
      return backupServer(bank, pool, input, { name: s.name, parent });
    });
  } finally {
    await pool.close();
    await bank.storage.close();
  }
}

async function restoredDisk(s: Setup, m: Manifest, disk: string): Promise<string> {
  const bank = await openTestBank(s.bank);
  const pool = new CodecPool();
  pool.unlock(bank.keys);
  try {
    const out = join(s.dir, `restored-${m.id}-${disk}.raw`);
    await restoreImage(bank, pool, m, out, undefined, disk);
    return out;
  } finally {
    await pool.close();
    await bank.storage.close();
  }
}

async function scratchDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((f) => f.startsWith('cairn-backup-'));
}

async function manifest(s: Setup, id: string): Promise<Manifest> {
  const bank = await openTestBank(s.bank);
  try {
    return await bank.resolveCheckpoint(id);
  } finally {
    await bank.storage.close();
  }
}

test('the point in time holds: what the guest writes after it never reaches the checkpoint', async (t) => {
  const s = await setupServer(t, 'pit');
  const at0 = await snapshot(s, 'at0');
  const m = await backupWith(s, null, async () => {
    await guestWrite(s.name, 'write -P 0xee 1M 64k', 0);
    await guestWrite(s.name, 'write -P 0xee 4M 64k', 1);
  });
  await same(at0.vda, await restoredDisk(s, m, 'vda'), 'raw');
  await same(at0.vdb, await restoredDisk(s, m, 'vdb'), 'raw');
  // And the next incremental holds those writes, by the new checkpoint's bitmap.
  const at1 = await snapshot(s, 'at1');
  const incr = await backup(s);
  assert.equal(incr.parent, m.id);
  assert.equal(incr.disks[0]!.readBytes, 64 * KiB);
  const im = await manifest(s, incr.id);
  await same(at1.vda, await restoredDisk(s, im, 'vda'), 'raw');
  await same(at1.vdb, await restoredDisk(s, im, 'vdb'), 'raw');
});

test('QEMU killed during a backup: the backup fails, and the next one after a restart reads whole and starts a new chain', async (t) => {
  const s = await setupServer(t, 'qemu');
  const full = await backup(s);
  await guestWrite(s.name, 'write -P 0x11 8M 64k', 0);
  const parent = await manifest(s, full.id);
  await assert.rejects(backupWith(s, parent, async () => { process.kill(await qemuPid(s.name), 'SIGKILL'); }), /NBD|disk vda|connection|closed|virsh/i);
  assert.equal((await virsh('domstate', s.name)).trim(), 'shut off');

  await virsh('start', s.name);
  const at = await snapshot(s, 'at');
  const next = await backup(s);
  assert.equal(next.parent, full.id);
  assert.match(next.warnings?.join('\n') ?? '', /no longer known/, 'QEMU died without saving its bitmaps: the changes are unknown');
  assert.ok(next.disks[0]!.readBytes >= 3 * MiB, 'every disk is read whole');
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [next.id]);
  const m = await manifest(s, next.id);
  await same(at.vda, await restoredDisk(s, m, 'vda'), 'raw');
  // The chain goes on by bitmap from there.
  await guestWrite(s.name, 'write -P 0x12 9M 64k', 0);
  const incr = await backup(s);
  assert.equal(incr.warnings, undefined);
  assert.equal(incr.disks[0]!.readBytes, 64 * KiB);
});

test('libvirtd killed during a backup: the checkpoint is stored, and the next backup ends the job and goes on incrementally', async (t) => {
  const s = await setupServer(t, 'lvd');
  const full = await backup(s);
  await guestWrite(s.name, 'write -P 0x11 8M 64k', 0);
  const at1 = await snapshot(s, 'at1');
  let second: Manifest;
  try {
    second = await backupWith(s, await manifest(s, full.id), () => killLibvirtd());
  } finally {
    await restartLibvirtd();
  }
  await same(at1.vda, await restoredDisk(s, second, 'vda'), 'raw');
  assert.match(await virsh('domjobinfo', s.name), /Backup/, 'the job outlived libvirtd, as QEMU did');

  await guestWrite(s.name, 'write -P 0x13 12M 64k', 0);
  const at2 = await snapshot(s, 'at2');
  const next = await backup(s);
  assert.equal(next.parent, second.id);
  assert.equal(next.warnings, undefined);
  assert.equal(next.disks[0]!.readBytes, 64 * KiB, 'only what the guest wrote since the second backup');
  assert.doesNotMatch(await virsh('domjobinfo', s.name), /Backup/);
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [next.id]);
  await same(at2.vda, await restoredDisk(s, await manifest(s, next.id), 'vda'), 'raw');
});

test('Cairn killed during a backup: the next one ends the job, drops its checkpoint, and is incremental on the last good one', async (t) => {
  const s = await setupServer(t, 'kill', '1G');
  // Enough data that the backup is still reading when it is killed.
  await virsh('destroy', s.name);
  await qemu('qemu-io', ['-c', 'write -P 0x71 64M 640M', s.vda]);
  await virsh('start', s.name);
  const full = await backup(s);
  await guestWrite(s.name, 'write -P 0x11 8M 64k', 0);
  const scratchBefore = await scratchDirs();
  let sawJob = false;
  const killed = await cairn(['backup', 'server', s.name, '--bank', s.bank, '--full'], {
    onSpawn: (child) => {
      const poll = setInterval(() => {
        virsh('domjobinfo', s.name).then((out) => {
          if (!/Backup/.test(out) || sawJob) return;
          sawJob = true;
          clearInterval(poll);
          child.kill('SIGKILL');
        }, () => undefined);
      }, 20);
      child.on('exit', () => clearInterval(poll));
    },
  });
  assert.equal(killed.signal, 'SIGKILL', 'the backup was killed while its job ran');
  assert.equal((await ourCheckpoints(s.name)).length, 2, 'the killed backup left its checkpoint');

  const at = await snapshot(s, 'at');
  const next = await backup(s);
  assert.equal(next.parent, full.id);
  assert.equal(next.warnings, undefined);
  assert.equal(next.disks[0]!.readBytes, 64 * KiB);
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [next.id]);
  assert.deepEqual((await scratchDirs()).filter((d) => !scratchBefore.includes(d)), [], 'no scratch directory is left');
  await same(at.vda, await restoredDisk(s, await manifest(s, next.id), 'vda'), 'raw');
});
