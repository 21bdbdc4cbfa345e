/** cairn restore <checkpoint> --to <path> */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import { restoreImage } from '../../mover/image-restore.ts';
import { restoreStream, restoreStreamToFile } from '../../mover/stream-restore.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter } from '../output.ts';
import { withBankAndPool } from '../with-bank.ts';
import { restoreFilesCommand } from './files.ts';

export interface RestoreOptions extends BankOptions {
  to?: string;
  include?: string[];
  json?: boolean;
}

export async function restoreCommand(env: CliEnvironment, ref: string, opts: RestoreOptions): Promise<void> {
  const to = opts.to;
  if (!to) throw new CairnError('bad-input', 'say where to restore with --to <path> (a file, a block device, a directory, or - for standard output)');
  if (to !== '-') await checkTargetDirectory(to);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const m = await bank.resolveCheckpoint(ref);
    if (opts.include?.length && m.type !== 'files') throw new CairnError('bad-input', `--include selects paths of a file tree; ${m.id} is a ${m.type}`);
    const progress = progressReporter(env, !!opts.json);
    let restoredBytes: number;
    if (m.type === 'image') {
      if (to === '-') throw new CairnError('bad-input', 'an image restores to a file or block device, not standard output');
      restoredBytes = (await restoreImage(bank, pool, m, to, progress.listener)).restoredBytes;
    } else if (m.type === 'stream') {
      restoredBytes = to === '-' ? await restoreStream(bank, pool, m, env.stdout, progress.listener) : await restoreStreamToFile(bank, pool, m, to, progress.listener);
    } else {
      restoredBytes = await restoreFilesCommand(bank, pool, m, to, opts.include ?? [], progress.listener, env);
    }
    progress.done();
    const summary = { id: m.id, name: m.name, type: m.type, to, restoredBytes, durationMs: Date.now() - started };
    if (opts.json) printJson(env, summary);
    else if (to !== '-') env.stdout.write(`restored ${m.type} ${m.id} (${formatBytes(restoredBytes)}) to ${to}\n`);
  });
}

/** The directory a restore writes into must exist: say so before reading anything from the bank. */
async function checkTargetDirectory(to: string): Promise<void> {
  const parent = dirname(resolve(to));
  const st = await stat(parent).catch(() => undefined);
  if (!st?.isDirectory()) throw new CairnError('bad-input', `cannot restore to ${to}: the directory ${parent} does not exist; create it first`);
}
