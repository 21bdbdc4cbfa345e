/**
 * What the volume plugin asks of qemu-img: an image's format and its persistent dirty bitmaps, and
 * changes to those bitmaps. Every call takes the image's lock, so it fails while a running QEMU
 * holds the image for writing: that is how an offline backup finds a volume in use.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CairnError } from '../../core/errors.ts';

const run = promisify(execFile);

export interface BitmapInfo {
  name: string;
  /** Records writes ("auto" in qemu-img's flags). */
  enabled: boolean;
  /** Not saved cleanly (an image not closed properly): its contents cannot be trusted ("in-use"). */
  inconsistent: boolean;
  granularity: number;
}

export interface ImageInfo {
  format: string;
  virtualSize: number;
  bitmaps: BitmapInfo[];
}

/** Runs qemu-img; a failure says `what` failed, and whether the volume was in use, missing, or why. */
export async function qemuImg(args: string[], what: string): Promise<string> {
  try {
    return (await run('qemu-img', args, { maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CairnError('unsupported', 'qemu-img is not installed (Debian package qemu-utils)');
    const text = (e.stderr ?? e.message).trim();
    if (/lock/i.test(text)) throw new CairnError('locked', `${what}: the volume is in use (a running VM or another process holds it): ${text}`);
    if (/No such file|Could not open/i.test(text)) throw new CairnError('not-found', `${what}: ${text}`);
    throw new CairnError('source', `${what}: ${text}`);
  }
}

interface QemuImgInfoJson {
  format: string;
  'virtual-size': number;
  'format-specific'?: { type: string; data?: { bitmaps?: { name: string; flags: string[]; granularity: number }[] } };
}

/** Format, size and bitmaps. `shared`: without taking the lock (only to read; never before changing bitmaps). */
export async function imageInfo(path: string, shared = false): Promise<ImageInfo> {
  const json = JSON.parse(await qemuImg(['info', ...(shared ? ['-U'] : []), '--output=json', path], `cannot inspect ${path}`)) as QemuImgInfoJson;
  const bitmaps = json['format-specific']?.data?.bitmaps ?? [];
  return {
    format: json.format,
    virtualSize: json['virtual-size'],
    bitmaps: bitmaps.map((b) => ({ name: b.name, enabled: b.flags.includes('auto'), inconsistent: b.flags.includes('in-use'), granularity: b.granularity })),
  };
}

/** Creates an empty image of `size` bytes. */
export async function createImage(path: string, format: string, size: number): Promise<void> {
  await qemuImg(['create', '-q', '-f', format, path, String(size)], `cannot create ${path}`);
}

export type BitmapChange = { add: string } | { remove: string } | { disable: string } | { enable: string } | { merge: string; into: string };

/** Applies one bitmap change to a qcow2 image. */
export async function changeBitmap(path: string, change: BitmapChange): Promise<void> {
  const [op, name, extra]: [string, string, string[]] =
    'add' in change ? ['--add', change.add, []]
      : 'remove' in change ? ['--remove', change.remove, []]
        : 'disable' in change ? ['--disable', change.disable, []]
          : 'enable' in change ? ['--enable', change.enable, []]
            : ['--merge', change.into, [change.merge]];
  await qemuImg(['bitmap', op, ...extra, '-f', 'qcow2', path, name], `cannot change the bitmaps of ${path}`);
}
