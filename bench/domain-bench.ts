// The domain benchmark: a running libvirt domain (TCG, no OS) with a 2 GiB qcow2 disk of real data
// (the first 2 GiB of the bench image), backed up by Cairn and by virtnbdbackup side by side: full,
// incremental after 1% of the disk was rewritten through the guest's virtio device (scattered 64 KiB
// blocks of real file data), and restore of the incremental, compared with the disk (qemu-img compare).
// Both tools use libvirt's pull-mode backups and checkpoints; each gets its own copy of the disk and
// its own domain, so neither sees the other's checkpoints.
import { chmod, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { domainXml, ensureLibvirtd, guestWrite, qemuWritableDir, virsh } from '../test/testkit/libvirt.ts';
import { cairnVersion, runCairn } from './cairn.ts';
import { rewrittenBlocks, type ImageSet } from './dataset.ts';
import { dropCaches, run, runMeasured, type CommandResult } from './measure.ts';
import { differs, measured, repoSize, timedSync, type Row } from './scenario.ts';
import type { Phase } from './tool.ts';
import { commandTimeoutMs } from './tool.ts';

const diskBytes = 2 * 1024 ** 3;
const blockBytes = 64 * 1024;
export const domainData = 'domain';

export interface DomainSubject {
  disk: string;
  /** Where each changed block's new content is, as a file QEMU can read. */
  blocks: { offset: number; file: string }[];
  changedBytes: number;
}

interface DomainTool {
  name: string;
  settings: string;
  version(): Promise<string>;
  init(repo: string): Promise<CommandResult>;
  backup(repo: string, domain: string, phase: Phase): Promise<{ result: CommandResult; ref?: string; readBytes?: number }>;
  /** Restores `ref` under `out`; returns the restored disk's path with the result. */
  restore(repo: string, ref: string, out: string, domain: string): Promise<{ result: CommandResult; disk: string }>;
}

/** The 2 GiB disk and the change, built once into the image set's cache directory. */
export async function domainSubject(set: ImageSet, seed: string): Promise<DomainSubject> {
  const dir = join(dirname(set.base), 'domain');
  const disk = join(dir, 'disk.qcow2');
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  if (!existsSync(disk)) {
    const first = JSON.stringify({ driver: 'raw', size: diskBytes, file: { driver: 'file', filename: set.base } });
    await run('qemu-img', ['convert', '-O', 'qcow2', `json:${first}`, `${disk}.partial`]);
    await run('mv', [`${disk}.partial`, disk]);
  }
  // Every other block of the image rewrite that falls in the first 2 GiB: 1% of the disk, with the
  // real-data variant's content (which differs from the disk's).
  const chosen = rewrittenBlocks(set.logicalBytes, seed).filter((b) => (b + 1) * blockBytes <= diskBytes).filter((_, i) => i % 2 === 0);
  const source = await open(set.variants.real.modified, 'r');
  const blocks: DomainSubject['blocks'] = [];
  try {
    const buf = Buffer.alloc(blockBytes);
    for (const b of chosen) {
      const file = join(dir, `block-${b}`);
      if (!existsSync(file)) {
        await source.read(buf, 0, blockBytes, b * blockBytes);
        await writeFile(file, buf, { mode: 0o644 });
      }
      blocks.push({ offset: b * blockBytes, file });
    }
  } finally {
    await source.close();
  }
  return { disk, blocks, changedBytes: blocks.length * blockBytes };
}

export function domainTools(only: string[]): DomainTool[] {
  const tools: DomainTool[] = [];
  if (only.includes('cairn')) tools.push(cairnTool());
  tools.push(virtnbdbackupTool());
  return tools;
}

function cairnTool(): DomainTool {
  return {
    name: 'cairn',
    settings: 'cairn backup server (pull mode, libvirt checkpoints), restore --as a new domain',
    version: cairnVersion,
    init: (repo) => runCairn(['bank', 'init', repo]),
    async backup(repo, domain) {
      const result = await runCairn(['backup', 'server', domain, '--bank', repo, '--json']);
      const report = result.ok ? JSON.parse(result.stdout) as { id: string; readBytes: number } : undefined;
      return { result, ...(report ? { ref: report.id, readBytes: report.readBytes } : {}) };
    },
    async restore(repo, ref, out, domain) {
      const as = `${domain}-restored`;
      const result = await runCairn(['restore', ref, '--bank', repo, '--as', as, '--to', out, '--json']);
      await virsh('undefine', as).catch(() => undefined);
      return { result, disk: join(out, `${as}-vda.qcow2`) };
    },
  };
}

function virtnbdbackupTool(): DomainTool {
  const measure = (cmd: string, args: string[]): Promise<CommandResult> => runMeasured(cmd, args, { timeoutMs: commandTimeoutMs });
  return {
    name: 'virtnbdbackup',
    settings: 'virtnbdbackup -l full / -l inc into one directory (uncompressed), virtnbdrestore of the whole chain',
    version: async () => (await run('virtnbdbackup', ['--version']).catch(() => 'not installed')).trim(),
    init: async (repo) => {
      await mkdir(dirname(repo), { recursive: true });
      return { ok: true, seconds: 0, peakRssMb: null, stdout: '', stderr: '' };
    },
    async backup(repo, domain, phase) {
      // Its NBD socket and scratch files go where QEMU (libvirt-qemu) may create them.
      const runDir = await qemuWritableDir(join(dirname(repo), 'virtnbdbackup-run'));
      const result = await measure('virtnbdbackup', ['-d', domain, '-l', phase === 'full' ? 'full' : 'inc', '-o', repo, '--noprogress',
        '-f', join(runDir, 'nbd.sock'), '-S', runDir]);
      return { result, ref: 'latest' };
    },
    async restore(repo, _ref, out) {
      const result = await measure('virtnbdrestore', ['-i', repo, '-o', out, '--noprogress']);
      return { result, disk: join(out, 'vda.qcow2') };
    },
  };
}

/** Runs every tool on its own domain; returns the table rows (data "domain"). */
export async function runDomainBench(subject: DomainSubject, tools: DomainTool[], workDir: string, cold: boolean, keep: boolean): Promise<Row[]> {
  await ensureLibvirtd();
  const rows: Row[] = [];
  for (const tool of tools) {
    console.error(`bench: ${tool.name} on ${domainData}`);
    rows.push(...await runOne(tool, subject, workDir, cold).catch((err: unknown) => failedRows(tool, err)));
    if (!keep) await rm(join(workDir, tool.name, domainData), { recursive: true, force: true });
  }
  return rows;
}

async function runOne(tool: DomainTool, subject: DomainSubject, root: string, cold: boolean): Promise<Row[]> {
  const dir = join(root, tool.name, domainData);
  const base = { data: domainData, tool: tool.name };
  const disk = join(dir, 'vda.qcow2'), repo = join(dir, 'repo'), out = join(dir, 'out');
  await rm(dir, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // QEMU (libvirt-qemu) must reach the disk: the directories the benchmark made are opened to it.
  for (let d = dir; d.startsWith(root); d = dirname(d)) await chmod(d, 0o755);
  await run('cp', ['--sparse=always', subject.disk, disk]);
  const domain = `cairn-bench-${tool.name}`;
  await removeDomain(domain);
  await writeFile(join(dir, 'domain.xml'), domainXml(domain, [{ path: disk, format: 'qcow2' }]));
  await virsh('define', join(dir, 'domain.xml'));
  const rows: Row[] = [];
  try {
    await virsh('start', domain);
    const init = await tool.init(repo);
    if (!init.ok) throw new Error(`init failed: ${init.error}`);
    const backup = async (phase: Phase): Promise<string | undefined> => {
      const before = await repoSize(repo);
      if (cold) await dropCaches();
      const done = await tool.backup(repo, domain, phase);
      const syncSeconds = await timedSync();
      const repoBytes = await repoSize(repo);
      const note = done.readBytes === undefined ? '' : `read ${(done.readBytes / 1e6).toFixed(1)} MB`;
      rows.push({ ...base, phase, ...measured(done.result, diskBytes), syncSeconds, repoBytes, addedBytes: repoBytes - before, note });
      return done.result.ok ? done.ref : undefined;
    };
    await backup('full');
    for (const b of subject.blocks) await guestWrite(domain, `write -s ${b.file} ${b.offset} ${blockBytes}`);
    const ref = await backup('incremental');
    if (ref === undefined) {
      rows.push({ ...base, phase: 'restore', ok: false, bytes: 0, note: '', error: 'nothing to restore: the incremental backup failed' });
      return rows;
    }
    if (cold) await dropCaches();
    const restored = await tool.restore(repo, ref, out, domain);
    const syncSeconds = await timedSync();
    const row: Row = { ...base, phase: 'restore', ...measured(restored.result, diskBytes), syncSeconds };
    if (restored.result.ok) {
      const mismatch = await differs('qemu-img', ['compare', '-U', restored.disk, disk]);
      row.note = mismatch === undefined ? 'restore identical' : 'RESTORE MISMATCH';
      if (mismatch !== undefined) Object.assign(row, { ok: false, error: `RESTORE MISMATCH: ${mismatch}` });
    }
    rows.push(row);
  } finally {
    await removeDomain(domain);
  }
  return rows;
}

async function removeDomain(domain: string): Promise<void> {
  await virsh('destroy', domain).catch(() => undefined);
  await virsh('undefine', domain, '--checkpoints-metadata').catch(() => undefined);
}

function failedRows(tool: DomainTool, err: unknown): Row[] {
  const error = `harness: ${err instanceof Error ? err.message : String(err)}`;
  return (['full', 'incremental', 'restore'] as const).map((phase) => ({ data: domainData, tool: tool.name, phase, ok: false, bytes: 0, note: '', error }));
}
