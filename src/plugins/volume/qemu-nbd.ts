/**
 * Serves an image read-only over NBD on a private Unix socket for the length of one backup, with
 * the dirty bitmap to export. qemu-nbd --fork returns once the socket accepts connections; the
 * server ends when its one client disconnects, and is killed in stop() in any case.
 */
import { execFile } from 'node:child_process';
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

export async function serveImage(path: string, format: string, bitmap?: string): Promise<ServedImage> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-nbd-'));
  const socket = join(dir, 'nbd.sock'), pidFile = join(dir, 'qemu-nbd.pid');
  const stop = async (): Promise<void> => {
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    if (pid > 0) try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('qemu-nbd', ['--read-only', '--fork', '--pid-file', pidFile, '--socket', socket, '--format', format,
      ...(bitmap ? ['--bitmap', bitmap] : []), path]);
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
