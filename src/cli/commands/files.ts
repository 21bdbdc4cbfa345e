/** cairn backup files, cairn ls, and the file-tree side of cairn restore. */
import { CairnError } from '../../core/errors.ts';
import type { FileEntry } from '../../core/file-entry.ts';
import type { ProgressListener } from '../../core/progress.ts';
import type { Bank } from '../../bank/bank.ts';
import type { Manifest } from '../../bank/manifest.ts';
import { catalogEntries } from '../../bank/references.ts';
import type { CodecPool } from '../../mover/codec-pool.ts';
import { backupFiles } from '../../mover/files-backup.ts';
import { restoreFiles } from '../../mover/files-restore.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { printJson } from '../output.ts';
import { progressReporter } from '../output.ts';
import { withBank, withBankAndPool } from '../with-bank.ts';
import { checkName, chooseParent, printBackup, type BackupOptions } from './backup.ts';

export async function backupFilesCommand(env: CliEnvironment, dir: string, opts: BackupOptions & { exclude?: string[] }): Promise<void> {
  const name = checkName(opts.name);
  await withBankAndPool(env, opts, async (bank, pool) => {
    const started = Date.now();
    const parent = await chooseParent(bank, opts, 'files');
    const progress = progressReporter(env, !!opts.json);
    const m = await backupFiles(bank, pool, {
      root: dir, name, parent, exclude: opts.exclude ?? [], tags: opts.tag ?? [], onProgress: progress.listener,
      onWarning: (w) => { if (!opts.json) env.stderr.write(`warning: ${w.path.toString('utf8') || dir}: ${w.message}\n`); },
    });
    progress.done();
    printBackup(env, m, started, opts.json);
  });
}

export async function restoreFilesCommand(bank: Bank, pool: CodecPool, m: Manifest, to: string, includes: string[], listener: ProgressListener | undefined, env: CliEnvironment): Promise<number> {
  if (to === '-') throw new CairnError('bad-input', 'a file tree restores into a directory, not standard output');
  const r = await restoreFiles(bank, pool, m, to, includes, listener, (w) => env.stderr.write(`warning: ${w.path.toString('utf8')}: ${w.message}\n`));
  return r.bytes;
}

/** Paths print as UTF-8 when they are; other bytes as \xNN so the listing stays one line per entry. */
export function displayPath(path: Buffer): string {
  const text = path.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(path) && !/[\x00-\x1f\x7f]/.test(text)) return text;
  return [...path].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

export async function lsCommand(env: CliEnvironment, ref: string, path: string | undefined, opts: BankOptions & { long?: boolean; recursive?: boolean; json?: boolean }): Promise<void> {
  await withBank(env, opts, async (bank) => {
    const m = await bank.resolveCheckpoint(ref);
    if (m.index.kind !== 'files') throw new CairnError('bad-input', `checkpoint ${m.id} is a ${m.type}; ls lists file trees`);
    const base = Buffer.from((path ?? '').replace(/^\/+|\/+$/g, ''));
    const depth = base.length === 0 ? 0 : base.toString('latin1').split('/').length;
    const out: FileEntry[] = [];
    let found = base.length === 0;
    for await (const e of catalogEntries(bank, await bank.loadIndex(), m.index)) {
      if (e.path.equals(base)) { found = true; if (e.type !== 'dir') out.push(e); continue; }
      const under = base.length === 0 || (e.path.length > base.length && e.path[base.length] === 0x2f && e.path.subarray(0, base.length).equals(base));
      if (!under) continue;
      const level = e.path.toString('latin1').split('/').length;
      if (opts.recursive || level === depth + 1) out.push(e);
    }
    if (!found) throw new CairnError('not-found', `no path ${base.toString('utf8')} in checkpoint ${m.id}`);
    if (opts.json) {
      return printJson(env, out.map((e) => ({
        path: displayPath(e.path), type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size,
        mtime: new Date(Number(e.mtimeNs / 1_000_000n)).toISOString(), ...(e.target ? { target: displayPath(e.target) } : {}),
      })));
    }
    for (const e of out) {
      if (!opts.long) { env.stdout.write(displayPath(e.path) + (e.type === 'dir' ? '/' : '') + '\n'); continue; }
      const when = new Date(Number(e.mtimeNs / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 19);
      env.stdout.write(`${typeChar(e.type)}${e.mode.toString(8).padStart(4, '0')} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${String(e.size).padStart(12)} ${when} ${displayPath(e.path)}${e.target ? ` -> ${displayPath(e.target)}` : ''}\n`);
    }
  });
}

function typeChar(t: FileEntry['type']): string {
  return { file: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b', socket: 's' }[t];
}
