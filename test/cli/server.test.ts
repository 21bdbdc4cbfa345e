// `cairn backup server` on running and shut-off libvirt domains (TCG, no OS; the guest's writes are
// made through its virtio devices), and the three restores: as a new domain, in place, and the
// original again after it was undefined and its disks deleted. Every restored disk is compared with
// the disk as it was (qemu-img compare).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { guestWrite, virsh } from '../testkit/libvirt.ts';
import { backup, ourCheckpoints, same, setupServer as setup, snapshot } from '../testkit/server.ts';
import { parseDomain } from '../../src/plugins/libvirt/domain-xml.ts';

const KiB = 1024, MiB = 1024 * KiB;

test('a running domain: all disks at one point in time, incrementals read what the guest wrote, restores as new domains are identical', async (t) => {
  const s = await setup(t, 'new');
  const found = (await cairnOk(['resources', '--connect', 'qemu:///system', '--json'])).json<{ id: string; type: string; details: { state: string }; children: { id: string; name: string }[] }[]>();
  const mine = found.find((r) => r.id === s.name);
  assert.equal(mine?.type, 'server');
  assert.equal(mine.details.state, 'running');
  assert.deepEqual(mine.children.map((c) => [c.name, c.id]), [['vda', s.vda], ['vdb', s.vdb]]);
  const full = await backup(s);
  assert.equal(full.type, 'server');
  assert.equal(full.parent, null);
  assert.equal(full.consistency, 'crash-consistent');
  assert.deepEqual(full.disks.map((d) => [d.disk, d.path, d.sourceBytes]), [['vda', s.vda, 64 * MiB], ['vdb', s.vdb, 32 * MiB]]);
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [full.id], 'libvirt holds this backup\'s checkpoint');
  const at0 = await snapshot(s, 'at0');

  await guestWrite(s.name, 'write -P 0x11 8M 128k', 0);
  await guestWrite(s.name, 'write -P 0x22 2M 64k', 1);
  const incr = await backup(s);
  assert.equal(incr.parent, full.id);
  assert.equal(incr.warnings, undefined);
  assert.equal(incr.disks[0]!.readBytes, 128 * KiB, 'vda (qcow2): only the clusters the guest wrote are read');
  assert.ok(incr.disks[1]!.readBytes >= 1 * MiB, 'vdb (raw, no bitmap): its data is read whole');
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [incr.id], 'only the newest checkpoint stays in libvirt');
  const at1 = await snapshot(s, 'at1');

  const out = join(s.dir, 'out');
  await mkdir(out);
  for (const [id, at, as] of [[incr.id, at1, `${s.name}-copy1`], [full.id, at0, `${s.name}-copy0`]] as const) {
    const r = (await cairnOk(['restore', id, '--bank', s.bank, '--as', as, '--to', out, '--json'])).json<{ domain: string; disks: { disk: string; path: string }[] }>();
    assert.equal(r.domain, as);
    assert.deepEqual(r.disks.map((d) => d.path), [join(out, `${as}-vda.qcow2`), join(out, `${as}-vdb.img`)]);
    await same(at.vda, r.disks[0]!.path, 'qcow2');
    await same(at.vdb, r.disks[1]!.path, 'raw');
    const copy = parseDomain(await virsh('dumpxml', as));
    assert.deepEqual(copy.disks.map((d) => [d.target, d.path, d.format]), [['vda', r.disks[0]!.path, 'qcow2'], ['vdb', r.disks[1]!.path, 'raw']]);
    assert.notEqual(copy.uuid, parseDomain(await virsh('dumpxml', s.name)).uuid, 'the copy has a UUID of its own');
    assert.doesNotMatch(await virsh('dumpxml', as), /52:54:00:ca:12:01/, 'and MAC addresses of its own');
  }
  // A name in use, or disk files that exist, are refused before anything is written.
  const again = await cairn(['restore', incr.id, '--bank', s.bank, '--as', `${s.name}-copy1`, '--to', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists already/);
  const quiesce = await backup(s, '--quiesce');
  assert.equal(quiesce.consistency, 'crash-consistent', 'no guest agent: the checkpoint says it is crash-consistent');
  assert.match(quiesce.warnings?.join('\n') ?? '', /could not be frozen/);
});

test('in place into the shut-off domain, refused while it runs; and the original again after undefine', async (t) => {
  const s = await setup(t, 'place');
  const full = await backup(s);
  const at0 = await snapshot(s, 'at0');
  await guestWrite(s.name, 'write -P 0x11 8M 128k', 0);
  await guestWrite(s.name, 'write -P 0x22 2M 64k', 1);

  const running = await cairn(['restore', full.id, '--bank', s.bank, '--in-place']);
  assert.equal(running.code, 1, running.stderr);
  assert.match(running.stderr, /is running: shut it off first/);

  await virsh('destroy', s.name);
  const r = (await cairnOk(['restore', full.id, '--bank', s.bank, '--in-place', '--json'])).json<{ writtenBytes: number; disks: { disk: string; writtenBytes: number; comparedBytes: number }[] }>();
  await same(at0.vda, s.vda, 'qcow2');
  await same(at0.vdb, s.vdb, 'raw');
  assert.equal(r.disks[0]!.comparedBytes, 0, 'vda: the checkpoint\'s bitmap names what changed, nothing is read');
  assert.equal(r.disks[0]!.writtenBytes, 128 * KiB);
  assert.equal(r.disks[1]!.writtenBytes, 64 * KiB, 'vdb: only the block that differs is written');

  // A restore over the existing domain is refused; after undefine and with its disks gone, it comes back as it was.
  const exists = await cairn(['restore', full.id, '--bank', s.bank]);
  assert.equal(exists.code, 2);
  assert.match(exists.stderr, /exists: restore --in-place/);
  const uuid = parseDomain(await virsh('dumpxml', s.name)).uuid;
  await virsh('undefine', s.name, '--checkpoints-metadata');
  await rm(s.vda);
  await rm(s.vdb);
  await cairnOk(['restore', full.id, '--bank', s.bank]);
  await same(at0.vda, s.vda, 'qcow2');
  await same(at0.vdb, s.vdb, 'raw');
  const back = parseDomain(await virsh('dumpxml', s.name));
  assert.equal(back.uuid, uuid, 'the recreated domain is the original: same UUID');
  assert.match(await virsh('dumpxml', s.name), /52:54:00:ca:12:01/);

  // It starts, and its next backup is a whole read deduplicated against the chain (libvirt lost the checkpoint with undefine).
  await virsh('start', s.name);
  const next = await backup(s);
  assert.equal(next.parent, full.id);
  assert.match(next.warnings?.join('\n') ?? '', /libvirt has no checkpoint/);
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [next.id]);
});

test('a shut-off domain is read whole, its restore is identical, the next running backup starts a chain, and forget removes its libvirt checkpoint', async (t) => {
  const s = await setup(t, 'off');
  await virsh('destroy', s.name);
  const at0 = await snapshot(s, 'at0');
  const off = await backup(s);
  assert.equal(off.consistency, 'shut-off');
  assert.equal(off.disks[0]!.readBytes, 3 * MiB, 'the allocated data of vda');
  const out = join(s.dir, 'out');
  await mkdir(out);
  await cairnOk(['restore', off.id, '--bank', s.bank, '--as', `${s.name}-copy`, '--to', out]);
  await same(at0.vda, join(out, `${s.name}-copy-vda.qcow2`), 'qcow2');
  await same(at0.vdb, join(out, `${s.name}-copy-vdb.img`), 'raw');
  assert.ok(await stat(join(out, `${s.name}-copy-vdb.img`)));

  await virsh('start', s.name);
  const on = await backup(s);
  assert.equal(on.parent, off.id);
  assert.match(on.warnings?.join('\n') ?? '', /libvirt has no checkpoint/, 'the shut-off backup left no checkpoint to build on');
  await guestWrite(s.name, 'write -P 0x11 8M 64k', 0);
  const incr = await backup(s);
  assert.equal(incr.disks[0]!.readBytes, 64 * KiB);
  assert.equal(incr.warnings, undefined);
  // Forgetting the newest checkpoint deletes its libvirt checkpoint: nothing of this bank stays in the domain.
  assert.deepEqual((await ourCheckpoints(s.name)).map((c) => c.slice(-16)), [incr.id]);
  await cairnOk(['forget', incr.id, '--bank', s.bank]);
  assert.deepEqual(await ourCheckpoints(s.name), []);
});
