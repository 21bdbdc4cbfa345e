/** cairn backup image | stream (| files, in files.ts) */
import { open } from 'node:fs/promises';
import { CairnError } from '../../core/errors.ts';
import type { Bank } from '../../bank/bank.ts';
import type { CheckpointType, Manifest } from '../../bank/manifest.ts';
import { backupImage } from '../../mover/image-backup.ts';
import { backupStream } from '../../mover/stream-backup.ts';
import { volumePlugin } from '../../plugins/volume/volume-plugin.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter } from '../output.ts';
import { checkpointSummary } from './checkpoints.ts';
import { withBankAndPool } from '../with-bank.ts';

export interface BackupOptions extends BankOptions {
  name: string;
  parent?: string;
  full?: boolean;
  /** A full backup when the newest checkpoint's chain already holds this many checkpoints (a full and its incrementals). */
  fullEvery?: string;
  tag?: string[];
  json?: boolean;
}

export function backupSummary(m: Manifest, durationMs: number) {
  const server = m.index.kind === 'server'
    ? { consistency: m.index.consistency, disks: m.index.disks.map((d) => ({ disk: d.target, path: d.source, sourceBytes: d.index.size, readBytes: d.readBytes })) }
    : {};
  return { ...checkpointSummary(m), ...server, durationMs, ...(m.warnings?.length ? { warnings: m.warnings } : {}) };
}

export function printBackup(env: CliEnvironment, m: Manifest, started: number, json?: boolean): void {
  const summary = backupSummary(m, Date.now() - started);
  if (json) return printJson(env, summary);
  env.stdout.write(`checkpoint ${m.id} of ${m.name} (${m.type}${m.parent ? `, incremental on ${m.parent}` : ', full'})\n` +
    `  source ${formatBytes(m.sourceBytes)}, read ${formatBytes(m.readBytes)}, wrote ${formatBytes(m.writtenBytes)} to the bank in ${(summary.durationMs / 1000).toFixed(1)}s\n`);
  if (m.index.kind === 'server') {
    env.stdout.write(`  ${m.index.disks.length} disk(s), ${m.index.consistency}: ${m.index.disks.map((d) => `${d.target} read ${formatBytes(d.readBytes)}`).join(', ')}\n`);
  }
  for (const w of m.warnings ?? []) env.stderr.write(`warning: ${w}\n`);
}

/** The parent the user asked for, or by default the newest checkpoint of the same resource and type. */
export async function chooseParent(bank: Bank, opts: BackupOptions, type: CheckpointType): Promise<Manifest | null> {
  if (opts.full && opts.parent) throw new CairnError('bad-input', '--full and --parent exclude each other');
  if (opts.full) return null;
  if (opts.parent) {
    const m = await bank.resolveCheckpoint(opts.parent);
    if (m.type !== type) throw new CairnError('bad-input', `--parent ${m.id} is a ${m.type} checkpoint; a ${type} backup needs a ${type} parent`);
    return m;
  }
  const every = opts.fullEvery === undefined ? undefined : Number(opts.fullEvery);
  if (every !== undefined && !(Number.isInteger(every) && every >= 1)) throw new CairnError('bad-input', `--full-every ${opts.fullEvery}: give a whole number of backups, 1 or more (1: always full)`);
  // A newest one forgotten (or pruned) between the listing and the read gives way to the next newest.
  for (;;) {
    const newest = (await bank.listCheckpoints()).filter((m) => m.name === opts.name && m.type === type).at(-1);
    if (!newest) return null;
    const m = await bank.findManifest(newest.id);
    if (!m) continue;
    if (every !== undefined && (await chainLength(bank, m, every)) >= every) return null;
    return m;
  }
}

/** How many checkpoints lead back from `m` to a full one, both counted; counting stops at `limit`. */
async function chainLength(bank: Bank, m: Manifest, limit: number): Promise<number> {
  let n = 1;
  for (let at: Manifest | undefined = m; at?.parent && n < limit; n++) {
    // A parent since deleted ends the chain there: the next full is then not later than asked.
    at = await bank.findManifest(at.parent);
    if (!at) break;
  }
  return n;
}

export function checkName(name: string | undefined): string {
  if (!name || !/^[^\s/][^\n\r]{0,199}$/.test(name)) throw new CairnError('bad-input', `--name must name the resource (1–200 characters, not starting with '/' or a space)`);
  return name;
}

export async function backupImageCommand(env: CliEnvironment, file: string, opts: BackupOptions): Promise<void> {
  const name = checkName(opts.name);
  await refuseQcow2(file);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const parent = await chooseParent(bank, opts, 'image');
    const progress = progressReporter(env, !!opts.json);
    const m = await backupImage(bank, pool, { path: file, name, parent, tags: opts.tag ?? [], onProgress: progress.listener });
    progress.done();
    printBackup(env, m, started, opts.json);
  });
}

/** A qcow2 file's bytes are not its disk: say which command reads the disk. */
async function refuseQcow2(file: string): Promise<void> {
  const magic = Buffer.alloc(4);
  const fh = await open(file, 'r').catch(() => undefined); // a missing file is reported by the backup itself
  if (!fh) return;
  try {
    await fh.read(magic, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (magic.equals(Buffer.from('QFI\xfb', 'latin1'))) {
    throw new CairnError('bad-input', `${file} is a qcow2 image: back it up with 'cairn backup volume', which reads the disk inside it (and only what changed, by its dirty bitmap)`);
  }
}

/** Names the bank in the dirty bitmaps its volume backups leave (cairn-<tag>-<checkpoint>). */
export function bitmapTag(bank: Bank): string {
  return bank.descriptor.bankId.slice(0, 8);
}

export async function backupVolumeCommand(env: CliEnvironment, volume: string, opts: BackupOptions & { nbdSocket?: string }): Promise<void> {
  const name = checkName(opts.name);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const parent = await chooseParent(bank, opts, 'image');
    const progress = progressReporter(env, !!opts.json);
    const m = await volumePlugin.protect(
      { resourceId: volume, parentId: parent?.id ?? null, bankTag: bitmapTag(bank), options: opts.nbdSocket ? { nbdSocket: opts.nbdSocket } : {} },
      (input) => backupImage(bank, pool, { ...input, name, parent, tags: opts.tag ?? [], onProgress: progress.listener }));
    progress.done();
    printBackup(env, m, started, opts.json);
  });
}

export async function backupStreamCommand(env: CliEnvironment, opts: BackupOptions): Promise<void> {
  const name = checkName(opts.name);
  if (env.stdin.isTTY) throw new CairnError('bad-input', 'backup stream reads standard input: pipe data into it (cairn backup stream … < file)');
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const parent = await chooseParent(bank, opts, 'stream');
    const progress = progressReporter(env, !!opts.json);
    const m = await backupStream(bank, pool, { source: env.stdin as AsyncIterable<Uint8Array>, name, parent, tags: opts.tag ?? [], onProgress: progress.listener });
    progress.done();
    printBackup(env, m, started, opts.json);
  });
}
