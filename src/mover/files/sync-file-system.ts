/**
 * Makes everything written to a file system durable, as the last step of a file-tree restore: a
 * restore reports success only once its files would survive a power cut.
 *
 * Why syncfs (through coreutils' `sync -f`, as Node has no binding for it) rather than an fsync per
 * file: a tree holds thousands of small files, and each fsync is a journal commit of its own (a few
 * milliseconds on ext4), where one syncfs writes them all back together. It also flushes what other
 * programs wrote to that file system, which costs them nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CairnError } from '../../core/errors.ts';

const run = promisify(execFile);

export async function syncFileSystem(path: string): Promise<void> {
  try {
    await run('sync', ['--file-system', path]);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new CairnError('storage', `cannot make the restored files under ${path} durable: the sync command (coreutils) is not on PATH`, { cause });
    const stderr = (cause as { stderr?: string }).stderr?.trim();
    throw new CairnError('storage', `the restored files under ${path} could not be written back to disk${stderr ? `: ${stderr}` : ''}; check the disk and restore again`, { cause });
  }
}
