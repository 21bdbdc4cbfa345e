// libvirt for tests: the system libvirtd (started here, without systemd, when it is not running) and
// TCG domains with no OS, defined per test and removed with their checkpoints when the test ends.
import { execFile } from 'node:child_process';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const run = promisify(execFile);
const URI = 'qemu:///system';

/** Runs virsh on the system connection; throws with its stderr. */
export async function virsh(...args: string[]): Promise<string> {
  try {
    return (await run('virsh', ['-c', URI, ...args])).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`virsh ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

let started: Promise<void> | undefined;
const DIR = '/var/tmp/cairn-test-libvirt';

/** Makes sure libvirtd answers, starting virtlogd and libvirtd as daemons if needed (they stay up). */
export function ensureLibvirtd(): Promise<void> {
  started ??= (async () => {
    if (await virsh('version').then(() => true, () => false)) return;
    await mkdir(DIR, { recursive: true });
    await writeFile(join(DIR, 'libvirtd.conf'), 'log_outputs="3:stderr"\n');
    await run('virtlogd', ['-d', '-p', join(DIR, 'virtlogd.pid')]).catch(() => undefined); // may run already
    await startLibvirtd();
  })();
  return started;
}

async function startLibvirtd(): Promise<void> {
  await run('libvirtd', ['-d', '-f', join(DIR, 'libvirtd.conf'), '-p', join(DIR, 'libvirtd.pid')]);
  for (let i = 0; i < 200; i++) {
    if (await virsh('version').then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('libvirtd did not answer within 10 s');
}

/** Kills libvirtd with SIGKILL (the domains keep running) and starts it again once it is gone. */
export async function killLibvirtd(): Promise<void> {
  const pid = Number((await readFile(join(DIR, 'libvirtd.pid'), 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) throw new Error('libvirtd was not started by the tests: cannot kill it');
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
}

export const restartLibvirtd = startLibvirtd;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One test at a time uses libvirt, across test files (they run in parallel processes): a test that
 * kills libvirtd must not break another's calls. The lock is a directory holding its owner's pid.
 */
async function lockLibvirt(t: TestContext): Promise<void> {
  const lock = join(DIR, 'test.lock');
  await mkdir(DIR, { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      t.after(() => rm(lock, { recursive: true, force: true }));
      return;
    } catch {
      const owner = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
      if (owner > 0 && !alive(owner)) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface TestDisk {
  path: string;
  format: 'qcow2' | 'raw';
}

/** The definition of a TCG domain with no OS: virtio disks vda, vdb, ... and a user-mode NIC with a fixed MAC. */
export function domainXml(name: string, disks: TestDisk[]): string {
  const devs = disks.map((d, i) => `<disk type='file' device='disk'><driver name='qemu' type='${d.format}'/><source file='${d.path}'/><target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/></disk>`);
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>${devs.join('')}<interface type='user'><mac address='52:54:00:ca:12:01'/><model type='virtio'/></interface></devices>
</domain>`;
}

/**
 * Defines and starts a TCG domain with the given disks (one qcow2 vda by default); destroyed and
 * undefined, with any domain named `${name}-*` a restore made, when the test ends. Holds libvirt for the test.
 */
export async function startDomain(t: TestContext, name: string, disk: string | TestDisk[]): Promise<void> {
  await lockLibvirt(t);
  await ensureLibvirtd();
  const disks = typeof disk === 'string' ? [{ path: disk, format: 'qcow2' as const }] : disk;
  const file = `${disks[0]!.path}.domain.xml`;
  await writeFile(file, domainXml(name, disks));
  await virsh('define', file);
  t.after(async () => {
    const all = (await virsh('list', '--all', '--name').catch(() => '')).split('\n').map((l) => l.trim());
    for (const dom of all.filter((d) => d === name || d.startsWith(`${name}-`))) {
      await virsh('destroy', dom).catch(() => undefined);
      await virsh('undefine', dom, '--checkpoints-metadata').catch(() => undefined);
    }
  });
  await virsh('start', name);
}

/** A directory QEMU (user libvirt-qemu) may create sockets and scratch files in. */
export async function qemuWritableDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  const { stdout } = await run('id', ['-u', 'libvirt-qemu']).catch(() => ({ stdout: '' }));
  const uid = Number(stdout.trim());
  if (uid > 0) await chown(path, uid, uid);
  return path;
}

/** Writes into a running domain's disk (vda: 0, vdb: 1, ...) through its virtio device, as its guest would. */
export async function guestWrite(name: string, command: string, disk = 0): Promise<void> {
  await virsh('qemu-monitor-command', name, '--hmp', `qemu-io -d /machine/peripheral/virtio-disk${disk}/virtio-backend "${command}"`);
}

/** The pid of a running domain's QEMU. */
export async function qemuPid(name: string): Promise<number> {
  return Number((await readFile(`/run/libvirt/qemu/${name}.pid`, 'utf8')).trim());
}
