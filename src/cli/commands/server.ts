/** cairn backup server <domain> and the restores of server checkpoints (--in-place, --as, or the original again). */
import { CairnError } from '../../core/errors.ts';
import type { Manifest } from '../../bank/manifest.ts';
import type { Bank } from '../../bank/bank.ts';
import type { CodecPool } from '../../mover/codec-pool.ts';
import { restoreImageToSink, type RestoreResult } from '../../mover/image-restore.ts';
import { backupServer } from '../../mover/server-backup.ts';
import { serverPlugin } from '../../plugins/libvirt/server-plugin.ts';
import type { Restored } from '../../core/plugin.ts';
import type { ProgressListener } from '../../core/progress.ts';
import type { CliEnvironment } from '../context.ts';
import { progressReporter } from '../output.ts';
import { withBankAndPool } from '../with-bank.ts';
import { bitmapTag, checkName, chooseParent, printBackup, type BackupOptions } from './backup.ts';

export interface ServerBackupOptions extends Omit<BackupOptions, 'name'> {
  name?: string;
  connect?: string;
  quiesce?: boolean;
  scratchDir?: string;
}

export async function backupServerCommand(env: CliEnvironment, domain: string, opts: ServerBackupOptions): Promise<void> {
  const name = checkName(opts.name ?? domain);
  const plugin = serverPlugin(opts.connect);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const parent = await chooseParent(bank, { ...opts, name }, 'server');
    const progress = progressReporter(env, !!opts.json);
    const options = { ...(opts.quiesce ? { quiesce: true } : {}), ...(opts.scratchDir ? { scratchDir: opts.scratchDir } : {}) };
    const m = await plugin.protect({ resourceId: domain, parentId: parent?.id ?? null, bankTag: bitmapTag(bank), options },
      (input) => backupServer(bank, pool, input, { name, parent, tags: opts.tag ?? [], onProgress: progress.listener }));
    progress.done();
    printBackup(env, m, started, opts.json);
  });
}

export interface ServerRestoreOptions {
  connect?: string;
  inPlace?: boolean;
  as?: string;
  /** The directory of a new domain's disks. */
  to?: string;
}

/** Restores a server checkpoint; returns what was written, per disk. */
export async function restoreServer(bank: Bank, pool: CodecPool, m: Manifest, opts: ServerRestoreOptions, onProgress?: ProgressListener): Promise<Restored<RestoreResult>> {
  if (m.index.kind !== 'server') throw new CairnError('bad-input', `checkpoint ${m.id} is a ${m.type}, not a server`);
  if (opts.inPlace && opts.as) throw new CairnError('bad-input', '--in-place and --as exclude each other: restore into the domain itself, or as a new one');
  if (opts.to && !opts.as) throw new CairnError('bad-input', '--to names the directory of a new domain\'s disks: give --as <new-name> with it');
  const idx = m.index;
  const mode = opts.inPlace ? 'in-place' : opts.as ? 'new' : 'recreate';
  return serverPlugin(opts.connect).restore({
    checkpointId: m.id, size: 0, bankTag: bitmapTag(bank),
    server: { domain: idx.domain, disks: idx.disks.map((d) => ({ target: d.target, source: d.source, format: d.format, size: d.index.size })) },
    target: { mode, ...(opts.as ? { name: opts.as } : {}), ...(opts.to ? { dir: opts.to } : {}) },
  }, (sink, inPlace, changed, disk) => restoreImageToSink(bank, pool, m, sink, { inPlace, ...(changed ? { changed } : {}), ...(disk ? { disk } : {}), ...(onProgress ? { onProgress } : {}) }));
}
