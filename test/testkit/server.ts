// A libvirt domain for server tests: a qcow2 vda and a raw vdb holding data, a bank, and what the
// tests compare restores with.
import type { TestContext } from 'node:test';
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cairnOk } from './cli.ts';
import { tempDir } from './temp-dir.ts';
import { qemu, qemuWrite } from './qemu.ts';
import { startDomain, virsh } from './libvirt.ts';

export interface DiskJson { disk: string; path: string; sourceBytes: number; readBytes: number }
export interface BackupJson { id: string; type: string; parent: string | null; readBytes: number; consistency: string; disks: DiskJson[]; warnings?: string[] }

export interface Setup { dir: string; bank: string; name: string; vda: string; vdb: string }

/** A running domain with a qcow2 vda (64 MiB) and a raw vdb (32 MiB), both holding data. */
export async function setupServer(t: TestContext, tag: string, vdaSize = '64M'): Promise<Setup> {
  const dir = await tempDir(t);
  await chmod(dir, 0o755); // QEMU runs as libvirt-qemu and must reach the disks
  const vda = join(dir, 'vda.qcow2'), vdb = join(dir, 'vdb.img'), bank = join(dir, 'bank');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', vda, vdaSize]);
  await qemu('qemu-img', ['create', '-q', '-f', 'raw', vdb, '32M']);
  await qemuWrite(vda, 'write -P 0xab 1M 2M', 'write -P 0x3c 40M 1M');
  await qemu('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5e 4M 1M', vdb]);
  const name = `cairn-srv-${tag}-${process.pid}`;
  await startDomain(t, name, [{ path: vda, format: 'qcow2' }, { path: vdb, format: 'raw' }]);
  await cairnOk(['bank', 'init', bank]);
  return { dir, bank, name, vda, vdb };
}

export const backup = async (s: Setup, ...extra: string[]): Promise<BackupJson> =>
  (await cairnOk(['backup', 'server', s.name, '--bank', s.bank, '--json', ...extra])).json<BackupJson>();

/** The disks as they are now, as raw files (read while QEMU holds them). */
export async function snapshot(s: Setup, label: string): Promise<{ vda: string; vdb: string }> {
  const vda = join(s.dir, `${label}-vda.raw`), vdb = join(s.dir, `${label}-vdb.raw`);
  await qemu('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', s.vda, vda]);
  await copyFile(s.vdb, vdb);
  return { vda, vdb };
}

export async function same(a: string, b: string, formatB: string): Promise<void> {
  await qemu('qemu-img', ['compare', '-U', '-f', 'raw', '-F', formatB, a, b]);
}

export async function ourCheckpoints(domain: string): Promise<string[]> {
  return (await virsh('checkpoint-list', domain, '--name')).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('cairn-'));
}
