/**
 * Backs up a volume that no VM is running: a qcow2 image with changed-block tracking through its
 * persistent dirty bitmaps, or any other image read whole (holes skipped, deduplicated).
 *
 * Bitmaps: `cairn-<bank>-<checkpoint>` records every write since that checkpoint of that bank was
 * taken. A backup adds the bitmap of its own checkpoint before it reads anything, reads the blocks
 * its parent's bitmap marks dirty (the parent's bitmap disabled meanwhile, so it is a fixed set), and
 * once the checkpoint is committed removes the parent's bitmap. Whatever state a crash leaves, the
 * next backup either finds its parent's bitmap enabled and consistent, which then holds every write
 * since the parent, or reads the whole volume; either way it removes the other bitmaps of this bank
 * it finds. A failure undoes the switch: the new bitmap is merged back into the parent's.
 */
import type { ImageStore } from '../../core/plugin.ts';
import { FileBlockSource } from '../../mover/file-block-source.ts';
import { newCheckpointId } from '../../mover/image-backup.ts';
import { NbdBlockSource } from '../../nbd/nbd-block-source.ts';
import { changeBitmap, imageInfo, type BitmapInfo } from './qemu-img.ts';
import { serveImage } from './qemu-nbd.ts';

export interface OfflineVolumeRequest {
  path: string;
  /** The checkpoint this backup is incremental to, if any. */
  parentId: string | null;
  /** Names this bank in bitmap names (bitmaps of other banks are left alone). */
  bankTag: string;
}

export async function backupOfflineVolume<T>(req: OfflineVolumeRequest, store: ImageStore<T>): Promise<T> {
  const info = await imageInfo(req.path);
  if (info.format !== 'qcow2') return readWhole(req.path, info.format, store);

  const prefix = `cairn-${req.bankTag}-`;
  const ours = info.bitmaps.filter((b) => b.name.startsWith(prefix));
  const parentBitmap = req.parentId ? prefix + req.parentId : undefined;
  const warnings: string[] = [];
  const usable = parentBitmap !== undefined && trustedBitmap(ours.find((b) => b.name === parentBitmap), parentBitmap, warnings);
  for (const b of ours) if (!(usable && b.name === parentBitmap)) await changeBitmap(req.path, { remove: b.name });

  const checkpointId = newCheckpointId();
  const next = prefix + checkpointId;
  await changeBitmap(req.path, { add: next });
  if (usable) await changeBitmap(req.path, { disable: parentBitmap });
  const bitmap = usable ? parentBitmap : undefined;
  let result: T;
  try {
    result = await withServed(req.path, 'qcow2', bitmap, async (source) => {
      const dirtyExtents = bitmap ? await source.dirtyExtents(bitmap) : undefined;
      return store({ source, checkpointId, ...(dirtyExtents ? { dirtyExtents } : {}), warnings });
    });
  } catch (err) {
    await undo(req.path, next, bitmap).catch(() => undefined);
    throw err;
  }
  // The new checkpoint's bitmap now covers everything later; a failure here leaves a bitmap the next backup removes.
  if (bitmap) await changeBitmap(req.path, { remove: bitmap }).catch(() => undefined);
  return result;
}

/** Whether the parent's bitmap holds every write since the parent; if not, says why in `warnings`. */
export function trustedBitmap(bitmap: Pick<BitmapInfo, 'enabled' | 'inconsistent'> | undefined, name: string, warnings: string[]): boolean {
  const why = !bitmap ? `the volume has no dirty bitmap ${name} for its parent checkpoint`
    : bitmap.inconsistent ? `the dirty bitmap ${name} is inconsistent (the image was not closed cleanly)`
      : !bitmap.enabled ? `the dirty bitmap ${name} stopped recording (an earlier backup was interrupted)`
        : undefined;
  if (why) warnings.push(`${why}: the whole volume was read and deduplicated against the parent`);
  return why === undefined;
}

/** The parent's bitmap records again, with what the new one recorded meanwhile; the new one goes. */
async function undo(path: string, next: string, parentBitmap: string | undefined): Promise<void> {
  if (parentBitmap) {
    await changeBitmap(path, { merge: next, into: parentBitmap });
    await changeBitmap(path, { enable: parentBitmap });
  }
  await changeBitmap(path, { remove: next });
}

/** Raw images are read directly (holes found by SEEK_DATA); other formats through qemu-nbd. */
async function readWhole<T>(path: string, format: string, store: ImageStore<T>): Promise<T> {
  const input = { checkpointId: newCheckpointId(), warnings: [] };
  if (format !== 'raw') return withServed(path, format, undefined, (source) => store({ source, ...input }));
  const source = await FileBlockSource.open(path);
  try {
    return await store({ source, ...input });
  } finally {
    await source.close();
  }
}

/** Serves `path` read-only over NBD for the length of `use`, with the bitmap's meta context when one is named. */
async function withServed<T>(path: string, format: string, bitmap: string | undefined, use: (source: NbdBlockSource) => Promise<T>): Promise<T> {
  const served = await serveImage(path, format, bitmap ? { bitmap } : {});
  try {
    const source = await NbdBlockSource.open({ socket: served.socket, exportName: '' }, path, bitmap);
    try {
      return await use(source);
    } finally {
      await source.close();
    }
  } finally {
    await served.stop();
  }
}
