/** cairn restore <checkpoint> --to <path> */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import { restoreImage, restoreImageToSink } from '../../mover/image-restore.ts';
import { volumePlugin } from '../../plugins/volume/volume-plugin.ts';
import { restoreStream, restoreStreamToFile } from '../../mover/stream-restore.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter } from '../output.ts';
import { withBankAndPool } from '../with-bank.ts';
import { restoreFilesCommand } from './files.ts';
import { bitmapTag } from './backup.ts';
import { restoreServer, type ServerRestoreOptions } from './server.ts';
import type { Bank } from '../../bank/bank.ts';
import type { Manifest } from '../../bank/manifest.ts';
import type { CodecPool } from '../../mover/codec-pool.ts';

export interface RestoreOptions extends BankOptions, Omit<ServerRestoreOptions, 'to'> {
  to?: string;
  include?: string[];
  format?: string;
  inPlace?: boolean;
  json?: boolean;
}

export async function restoreCommand(env: CliEnvironment, ref: string, opts: RestoreOptions): Promise<void> {
  // A server's restore needs no --to: its disks go where its definition (or --as) puts them.
  const serverOnly = opts.as !== undefined || opts.connect !== undefined;
  const to = opts.to;
  if (to && to !== '-' && !serverOnly) await checkTargetDirectory(to);
  const format = to ? imageFormat(to, opts) : undefined;
  if (opts.inPlace && to && !(await stat(to).catch(() => undefined))) throw new CairnError('bad-input', `--in-place restores into an existing volume, and ${to} does not exist; leave out --in-place to create it`);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const m = await bank.resolveCheckpoint(ref);
    if (m.type === 'server') return restoreServerCommand(env, bank, pool, m, opts, started);
    if (serverOnly) throw new CairnError('bad-input', `--as and --connect are for server checkpoints; ${m.id} is a ${m.type}`);
    if (!to) throw new CairnError('bad-input', `say where to restore ${m.type} ${m.id} with --to <path> (a file, a block device, a directory, or - for standard output)`);
    if (opts.include?.length && m.type !== 'files') throw new CairnError('bad-input', `--include selects paths of a file tree; ${m.id} is a ${m.type}`);
    const progress = progressReporter(env, !!opts.json);
    let restoredBytes: number, extra: { writtenBytes?: number; comparedBytes?: number } = {};
    if ((opts.inPlace || opts.format) && m.type !== 'image') throw new CairnError('bad-input', `--in-place and --format are for image checkpoints; ${m.id} is a ${m.type}`);
    if (m.type === 'image') {
      if (to === '-') throw new CairnError('bad-input', 'an image restores to a file or block device, not standard output');
      const size = m.index.kind === 'fixed' ? m.index.size : 0;
      const r = opts.inPlace || format === 'qcow2'
        ? (await volumePlugin.restore({ checkpointId: m.id, size, bankTag: bitmapTag(bank), target: opts.inPlace ? { path: to, inPlace: true } : { path: to, format: 'qcow2' } },
          (sink, inPlace, changed) => restoreImageToSink(bank, pool, m, sink, { inPlace, ...(changed ? { changed } : {}), onProgress: progress.listener }))).images[0]!.result
        : await restoreImage(bank, pool, m, to, progress.listener);
      restoredBytes = r.restoredBytes;
      extra = { writtenBytes: r.writtenBytes, ...(r.comparedBytes !== undefined ? { comparedBytes: r.comparedBytes } : {}) };
    } else if (m.type === 'stream') {
      restoredBytes = to === '-' ? await restoreStream(bank, pool, m, env.stdout, progress.listener) : await restoreStreamToFile(bank, pool, m, to, progress.listener);
    } else {
      restoredBytes = await restoreFilesCommand(bank, pool, m, to, opts.include ?? [], progress.listener, env);
    }
    progress.done();
    const summary = { id: m.id, name: m.name, type: m.type, to, restoredBytes, ...extra, durationMs: Date.now() - started };
    if (opts.json) printJson(env, summary);
    else if (to !== '-') env.stdout.write(`restored ${m.type} ${m.id} (${formatBytes(restoredBytes)}) to ${to}\n`);
  });
}

async function restoreServerCommand(env: CliEnvironment, bank: Bank, pool: CodecPool, m: Manifest, opts: RestoreOptions, started: number): Promise<void> {
  if (opts.format || opts.include?.length) throw new CairnError('bad-input', `--format and --include are not for server checkpoints; ${m.id} is a server's`);
  const progress = progressReporter(env, !!opts.json);
  const done = await restoreServer(bank, pool, m, opts, progress.listener);
  progress.done();
  const disks = done.images.map((i) => ({ disk: i.disk, path: i.path, restoredBytes: i.result.restoredBytes, writtenBytes: i.result.writtenBytes, ...(i.result.comparedBytes !== undefined ? { comparedBytes: i.result.comparedBytes } : {}) }));
  const restoredBytes = disks.reduce((n, d) => n + d.restoredBytes, 0);
  if (opts.json) return printJson(env, { id: m.id, name: m.name, type: m.type, domain: done.domain, restoredBytes, writtenBytes: disks.reduce((n, d) => n + d.writtenBytes, 0), disks, durationMs: Date.now() - started });
  env.stdout.write(`restored server ${m.id} (${formatBytes(restoredBytes)}) ${opts.inPlace ? 'into' : 'as'} domain ${done.domain ?? ''}
`);
  for (const d of disks) env.stdout.write(`  ${d.disk}: ${d.path} (wrote ${formatBytes(d.writtenBytes)})
`);
}

/** raw or qcow2 for an image restore: --format, else the target's extension. */
function imageFormat(to: string, opts: RestoreOptions): 'raw' | 'qcow2' | undefined {
  if (opts.format !== undefined && opts.format !== 'raw' && opts.format !== 'qcow2') throw new CairnError('bad-input', `--format ${opts.format}: an image restores as raw or qcow2`);
  if (opts.format && opts.inPlace) throw new CairnError('bad-input', '--in-place keeps the volume\'s own format: leave out --format');
  return opts.format ?? (to.endsWith('.qcow2') ? 'qcow2' : undefined);
}

/** The directory a restore writes into must exist: say so before reading anything from the bank. */
async function checkTargetDirectory(to: string): Promise<void> {
  const parent = dirname(resolve(to));
  const st = await stat(parent).catch(() => undefined);
  if (!st?.isDirectory()) throw new CairnError('bad-input', `cannot restore to ${to}: the directory ${parent} does not exist; create it first`);
}
