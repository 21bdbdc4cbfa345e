/**
 * Serves an image over NBD on a private Unix socket for the length of one backup (read-only, with
 * the dirty bitmap to export) or restore (writable). qemu-nbd --fork returns once the socket accepts connections; the
 * server ends when its one client disconnects, and is killed in stop() in any case.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CairnError } from '../../core/errors.ts';

const run = promisify(execFile);

export interface ServedImage {
  socket: string;
  stop(): Promise<void>;
}

export async function serveImage(path: string, format: string, options: { bitmap?: string; writable?: boolean } = {}): Promise<ServedImage> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-nbd-'));
  const socket = join(dir, 'nbd.sock'), pidFile = join(dir, 'qemu-nbd.pid');
  // Waits for the server to exit: until then it holds the image's lock, and a volume restored into
  // may not yet be closed cleanly (qcow2 metadata, bitmaps).
  const stop = async (): Promise<void> => {
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    if (pid > 0) {
      signal(pid, 'SIGTERM');
      for (let waited = 0; alive(pid); waited += 10) {
        if (waited === 10_000) signal(pid, 'SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const args = [...(options.writable ? ['--discard=unmap'] : ['--read-only']), '--fork', '--pid-file', pidFile, '--socket', socket,
    '--format', format, ...(options.bitmap ? ['--bitmap', options.bitmap] : []), path];
  try {
    // Around the page cache (O_DIRECT), as Cairn's own image reads: each block is read once, and the
    // host's cache stays the guests'. A file system without O_DIRECT gets the page cache instead.
    await run('qemu-nbd', ['--cache=none', '--aio=native', ...args]).catch(async (err: unknown) => {
      if (!/Invalid argument|O_DIRECT/i.test((err as { stderr?: string }).stderr ?? '')) throw err;
      await run('qemu-nbd', args);
    });
  } catch (err) {
    await stop();
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CairnError('unsupported', 'qemu-nbd is not installed (Debian package qemu-utils)');
    const text = (e.stderr ?? e.message).trim();
    if (/lock/i.test(text)) throw new CairnError('locked', `${path} is in use (a running VM or another process holds it): ${text}`);
    throw new CairnError('source', `cannot serve ${path} over NBD: ${text}`);
  }
  return { socket, stop };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch { /* gone already */ }
}

/** Running, not a zombie: a daemon forked off is its own parent's no more, and the reaper may be slow or absent. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
