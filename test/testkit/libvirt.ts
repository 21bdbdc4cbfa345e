// libvirt for tests: the system libvirtd (started here, without systemd, when it is not running) and
// TCG domains with no OS, defined per test and removed with their checkpoints when the test ends.
import { execFile } from 'node:child_process';
import { chown, mkdir, writeFile } from 'node:fs/promises';
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

/** Makes sure libvirtd answers, starting virtlogd and libvirtd as daemons if needed (they stay up). */
export function ensureLibvirtd(): Promise<void> {
  started ??= (async () => {
    if (await virsh('version').then(() => true, () => false)) return;
    const dir = '/var/tmp/cairn-test-libvirt';
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'libvirtd.conf'), 'log_outputs="3:stderr"\n');
    await run('virtlogd', ['-d', '-p', join(dir, 'virtlogd.pid')]).catch(() => undefined); // may run already
    await run('libvirtd', ['-d', '-f', join(dir, 'libvirtd.conf'), '-p', join(dir, 'libvirtd.pid')]);
    for (let i = 0; i < 200; i++) {
      if (await virsh('version').then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('libvirtd did not answer within 10 s');
  })();
  return started;
}

/** Defines and starts a TCG domain with one virtio qcow2 disk (vda); destroyed and undefined when the test ends. */
export async function startDomain(t: TestContext, name: string, disk: string): Promise<void> {
  await ensureLibvirtd();
  const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices>
</domain>`;
  const file = `${disk}.domain.xml`;
  await writeFile(file, xml);
  await virsh('define', file);
  t.after(async () => {
    await virsh('destroy', name).catch(() => undefined);
    await virsh('undefine', name, '--checkpoints-metadata').catch(() => undefined);
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

/** Writes into a running domain's disk through its virtio device, as its guest would. */
export async function guestWrite(name: string, command: string): Promise<void> {
  await virsh('qemu-monitor-command', name, '--hmp', `qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend "${command}"`);
}
