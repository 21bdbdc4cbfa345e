/**
 * Where a file or block device holds data. Node has no SEEK_DATA/SEEK_HOLE, so regular files are
 * mapped by `qemu-img map`, which walks them with exactly those calls; its human format lists one
 * data extent per line, so the map streams however fragmented the file is. Without qemu-img, or for
 * block devices, the whole source counts as data and zero blocks are still detected after reading.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { open, readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { CairnError } from '../core/errors.ts';
import type { Extent } from '../core/extent.ts';

export interface SourceInfo {
  size: number;
  isBlockDevice: boolean;
}

export async function describeSource(path: string): Promise<SourceInfo> {
  let st: Stats;
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new CairnError(err.code === 'ENOENT' ? 'not-found' : 'bad-input', `cannot open ${path}: ${err.message}`);
  });
  try {
    st = await fh.stat();
  } finally {
    await fh.close();
  }
  if (st.isBlockDevice()) {
    const major = (st.rdev >> 8) & 0xfff, minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    const sectors = Number((await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8')).trim());
    return { size: sectors * 512, isBlockDevice: true };
  }
  if (!st.isFile()) throw new CairnError('bad-input', `${path} is neither a regular file nor a block device`);
  return { size: st.size, isBlockDevice: false };
}

export async function* dataExtents(path: string, info: SourceInfo): AsyncGenerator<Extent> {
  if (info.isBlockDevice || info.size === 0) {
    if (info.size > 0) yield { offset: 0, length: info.size };
    return;
  }
  const child = spawn('qemu-img', ['map', '-U', '-f', 'raw', '--output=human', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', resolve);
  });
  const extents: Extent[] = [];
  let streamed = false;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.trim() === '' || line.startsWith('Offset')) continue;
    // Numbers are hex with 0x, except a zero offset, which prints as plain 0.
    const m = /^(0x[0-9a-f]+|0)\s+(0x[0-9a-f]+)\s/.exec(line);
    if (!m) {
      child.kill();
      // Never guess: an extent we cannot read would be data silently left out of the backup.
      throw new CairnError('unsupported', `cannot parse 'qemu-img map' output for ${path}: ${JSON.stringify(line)}`);
    }
    const e = { offset: Number(m[1]), length: Number(m[2]) };
    // Hold back the first extents until qemu-img proves to work, so a failure can fall back cleanly.
    if (streamed) yield e; else extents.push(e);
    if (!streamed && extents.length >= 1024) { streamed = true; yield* extents.splice(0); }
  }
  const code = await exited;
  if (code !== 0) {
    if (streamed) throw new CairnError('storage', `qemu-img map failed on ${path}: ${stderr.trim()}`);
    yield { offset: 0, length: info.size }; // no qemu-img: read everything, zeros are detected anyway
    return;
  }
  yield* extents;
}
