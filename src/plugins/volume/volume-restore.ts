/**
 * Restores a volume checkpoint into a new qcow2 or raw image, or in place into an existing volume not in use
 * (any format qemu-nbd serves; only the blocks that differ are written). The caller's `write` does the
 * data (the mover); this module prepares and serves the target.
 *
 * A new image is made under a temporary name and renamed over the target once written and flushed,
 * so a failed restore leaves nothing that looks like a volume. In place, the volume is first resized
 * to the checkpoint's size; a failure midway leaves it partly restored (a mix of both states), which
 * the message says: run the restore again.
 */
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ImageWrite } from '../../core/plugin.ts';
import { CairnError } from '../../core/errors.ts';
import { NbdBlockSink } from '../../nbd/nbd-block-sink.ts';
import { createImage, imageInfo, qemuImg } from './qemu-img.ts';
import { serveImage } from './qemu-nbd.ts';

export interface VolumeRestoreRequest {
  /** The new image, or the volume to restore into. */
  path: string;
  /** The checkpoint's image size. */
  size: number;
  inPlace: boolean;
  /** The format of a new image (default qcow2); in place, the volume keeps its own. */
  format?: 'qcow2' | 'raw';
  /** The checkpoint, and the tag of its bank in bitmap names: in place, a bitmap kept since the checkpoint says what may differ. */
  checkpointId: string;
  bankTag: string;
}

export async function restoreVolume<T>(req: VolumeRestoreRequest, write: ImageWrite<T>): Promise<T> {
  return req.inPlace ? restoreInPlace(req, write) : restoreToNewImage(req, write);
}

async function restoreToNewImage<T>(req: VolumeRestoreRequest, write: ImageWrite<T>): Promise<T> {
  const partial = join(dirname(req.path), `.${basename(req.path)}.cairn-partial`);
  const format = req.format ?? 'qcow2';
  await createImage(partial, format, req.size);
  try {
    const result = await writeServed(partial, format, true, (sink) => write(sink, false));
    await rename(partial, req.path);
    return result;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function restoreInPlace<T>(req: VolumeRestoreRequest, write: ImageWrite<T>): Promise<T> {
  const info = await imageInfo(req.path); // takes the image's lock: fails while a VM uses the volume
  // The checkpoint's own bitmap, still recording and the size unchanged: it holds every block written since.
  const kept = info.bitmaps.find((b) => b.name === `cairn-${req.bankTag}-${req.checkpointId}`);
  const bitmap = kept && kept.enabled && !kept.inconsistent && info.virtualSize === req.size ? kept.name : undefined;
  if (info.virtualSize !== req.size) {
    await qemuImg(['resize', '-q', ...(info.virtualSize > req.size ? ['--shrink'] : []), '-f', info.format, req.path, String(req.size)], `cannot resize ${req.path}`);
  }
  try {
    return await writeServed(req.path, info.format, false, async (sink) => write(sink, true, bitmap ? await sink.dirtyExtents(bitmap) : undefined), bitmap);
  } catch (err) {
    if (err instanceof CairnError && err.code === 'locked') throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new CairnError(err instanceof CairnError ? err.code : 'source', `${why}; ${req.path} may now hold a mix of its old blocks and the checkpoint's: run the restore again`, { cause: err });
  }
}

/** Serves `path` writable (with a bitmap to read), hands `fill` a sink on it, flushes and stops the server. */
async function writeServed<T>(path: string, format: string, zeroed: boolean, fill: (sink: NbdBlockSink) => Promise<T>, bitmap?: string): Promise<T> {
  const served = await serveImage(path, format, { writable: true, ...(bitmap ? { bitmap } : {}) });
  try {
    const sink = await NbdBlockSink.open({ socket: served.socket, exportName: '' }, zeroed, bitmap);
    let result: T;
    try {
      result = await fill(sink);
    } catch (err) {
      await sink.close().catch(() => undefined);
      throw err;
    }
    await sink.close(); // flushes: the data is durable before the restore reports success
    return result;
  } finally {
    await served.stop();
  }
}
