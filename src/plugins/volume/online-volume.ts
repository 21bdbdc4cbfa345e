/**
 * Backs up a volume that qemu-storage-daemon (or a QEMU with a QMP monitor) serves while clients keep
 * writing. One QMP transaction fixes the point in time: it adds this checkpoint's dirty bitmap,
 * disables the parent's, and starts a copy-before-write job into a fleecing overlay, so the overlay
 * shows the volume as it was at that instant however it changes afterwards. The overlay is exported
 * over NBD with the parent's bitmap; the backup reads it; everything added is removed afterwards.
 * Bitmaps follow the rules of offline volumes (offline-volume.ts).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import { newCheckpointId } from '../../mover/image-backup.ts';
import { NbdBlockSource } from '../../nbd/nbd-block-source.ts';
import { QmpClient } from '../qemu/qmp-client.ts';
import { trustedBitmap } from './offline-volume.ts';
import { createImage } from './qemu-img.ts';
import type { ImageStore } from '../../core/plugin.ts';

export interface OnlineVolumeRequest {
  /** The QMP monitor socket of the daemon, and the block node (format layer) of the volume. */
  qmpSocket: string;
  node: string;
  parentId: string | null;
  bankTag: string;
  /** The socket of an NBD server the daemon already runs (a daemon runs at most one); else Cairn starts one for the backup. */
  nbdSocket?: string;
}

interface BlockNode {
  'node-name': string;
  image: { 'virtual-size': number };
  'dirty-bitmaps'?: { name?: string; recording: boolean; busy: boolean; inconsistent?: boolean; persistent: boolean }[];
}

async function findNode(qmp: QmpClient, req: OnlineVolumeRequest): Promise<BlockNode> {
  const nodes = await qmp.execute<BlockNode[]>('query-named-block-nodes', { flat: true });
  const node = nodes.find((n) => n['node-name'] === req.node);
  if (!node) throw new CairnError('bad-input', `${req.qmpSocket} has no block node '${req.node}' (it has: ${nodes.map((n) => n['node-name']).join(', ')})`);
  return node;
}

export async function backupOnlineVolume<T>(req: OnlineVolumeRequest, store: ImageStore<T>): Promise<T> {
  const qmp = await QmpClient.connect(req.qmpSocket);
  try {
    const node = await findNode(qmp, req);
    await removeLeftovers(qmp);
    const warnings: string[] = [];
    const parentBitmap = await parentBitmapToUse(qmp, req, warnings);
    const checkpointId = newCheckpointId();
    const next = `cairn-${req.bankTag}-${checkpointId}`;
    const undo = new Undo();
    let result: T;
    try {
      const fleece = await freeze(qmp, req, node, { checkpointId, next, parentBitmap }, undo);
      const exportName = `cairn-${checkpointId}`;
      const socket = req.nbdSocket ?? await startNbdServer(qmp, join(dirname(req.qmpSocket), `.${basename(req.qmpSocket)}.cairn-nbd`), undo);
      await exportOverlay(qmp, req, { fleece, exportName }, parentBitmap, undo);
      const source = await NbdBlockSource.open({ socket, exportName }, `${req.node} of ${req.qmpSocket}`, parentBitmap);
      try {
        const dirtyExtents = parentBitmap ? await source.dirtyExtents(parentBitmap) : undefined;
        result = await store({ source, checkpointId, ...(dirtyExtents ? { dirtyExtents } : {}), warnings });
      } finally {
        await source.close();
      }
    } catch (err) {
      await undo.run();
      await unswitchBitmaps(qmp, req.node, next, parentBitmap).catch(() => undefined);
      throw err;
    } finally {
      await undo.run();
    }
    if (parentBitmap) await qmp.execute('block-dirty-bitmap-remove', { node: req.node, name: parentBitmap }).catch(() => undefined);
    return result;
  } finally {
    qmp.close();
  }
}

/** Steps to take back, last first, whatever happened; each runs once, and its failure stops none of the others. */
class Undo {
  readonly #steps: (() => Promise<unknown>)[] = [];

  push(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

/**
 * The parent's bitmap if it holds every write since the parent (else undefined, and why in `warnings`);
 * every other bitmap of this bank is removed. Read after removeLeftovers: an interrupted backup's job
 * held bitmaps of its own (without names) until then.
 */
async function parentBitmapToUse(qmp: QmpClient, req: OnlineVolumeRequest, warnings: string[]): Promise<string | undefined> {
  const prefix = `cairn-${req.bankTag}-`;
  const ours = ((await findNode(qmp, req))['dirty-bitmaps'] ?? []).filter((b) => b.name?.startsWith(prefix));
  const name = req.parentId ? prefix + req.parentId : undefined;
  const found = ours.find((b) => b.name === name);
  const usable = name !== undefined && trustedBitmap(found && { enabled: found.recording && !found.busy, inconsistent: found.inconsistent ?? false }, name, warnings);
  for (const b of ours) if (!(usable && b.name === name)) await qmp.execute('block-dirty-bitmap-remove', { node: req.node, name: b.name! });
  return usable ? name : undefined;
}

/**
 * Fixes the point in time in one transaction: the new bitmap starts, the parent's stops, and a
 * copy-before-write job keeps the volume as it was in a fleecing overlay, whose node name it returns.
 */
async function freeze(qmp: QmpClient, req: OnlineVolumeRequest, node: BlockNode, ids: { checkpointId: string; next: string; parentBitmap: string | undefined }, undo: Undo): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-fleece-'));
  undo.push(() => rm(dir, { recursive: true, force: true }));
  const fleece = `cairn-fleece-${ids.checkpointId}`, job = `cairn-backup-${ids.checkpointId}`;
  const scratch = join(dir, 'fleece.qcow2');
  await createImage(scratch, 'qcow2', node.image['virtual-size']);
  await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': fleece, file: { driver: 'file', filename: scratch }, backing: req.node });
  undo.push(() => qmp.execute('blockdev-del', { 'node-name': fleece }));
  await qmp.execute('transaction', {
    actions: [
      { type: 'block-dirty-bitmap-add', data: { node: req.node, name: ids.next, persistent: true } },
      ...(ids.parentBitmap ? [{ type: 'block-dirty-bitmap-disable', data: { node: req.node, name: ids.parentBitmap } }] : []),
      { type: 'blockdev-backup', data: { 'job-id': job, device: req.node, target: fleece, sync: 'none' } },
    ],
  });
  undo.push(() => stopJob(qmp, job));
  return fleece;
}

/** Exports the fleecing overlay read-only, with the parent's bitmap. */
async function exportOverlay(qmp: QmpClient, req: OnlineVolumeRequest, names: { fleece: string; exportName: string }, parentBitmap: string | undefined, undo: Undo): Promise<void> {
  const { fleece, exportName } = names;
  await qmp.execute('block-export-add', {
    type: 'nbd', id: exportName, 'node-name': fleece, name: exportName, writable: false,
    ...(parentBitmap ? { bitmaps: [{ node: req.node, name: parentBitmap }] } : {}),
  });
  undo.push(() => deleteExport(qmp, exportName));
}

/** After a failure: the parent's bitmap records again, with what the new one recorded meanwhile; the new one goes. */
async function unswitchBitmaps(qmp: QmpClient, node: string, next: string, parentBitmap: string | undefined): Promise<void> {
  if (parentBitmap) {
    await qmp.execute('block-dirty-bitmap-merge', { node, target: parentBitmap, bitmaps: [next] });
    await qmp.execute('block-dirty-bitmap-enable', { node, name: parentBitmap });
  }
  await qmp.execute('block-dirty-bitmap-remove', { node, name: next });
}

/**
 * Starts the daemon's NBD server for this backup, stopped by `undo`. Its socket has a fixed name next
 * to the QMP socket, so a server left running by an interrupted backup is recognised as Cairn's.
 */
async function startNbdServer(qmp: QmpClient, socket: string, undo: Undo): Promise<string> {
  try {
    await qmp.execute('nbd-server-start', { addr: { type: 'unix', data: { path: socket } } });
  } catch (err) {
    if (!/already running/i.test((err as Error).message)) throw err;
    if (!(await stat(socket).catch(() => undefined))?.isSocket()) {
      throw new CairnError('bad-input', 'the daemon already runs an NBD server (a daemon runs one): name its socket with --nbd-socket');
    }
  }
  undo.push(() => qmp.execute('nbd-server-stop'));
  return socket;
}

/**
 * Removes what an interrupted backup left in the daemon: Cairn's exports, copy-before-write jobs and
 * fleecing overlays, with their scratch files. Their names start with "cairn-"; nothing else is touched.
 */
async function removeLeftovers(qmp: QmpClient): Promise<void> {
  for (const e of await qmp.execute<{ id: string }[]>('query-block-exports')) if (e.id.startsWith('cairn-')) await deleteExport(qmp, e.id);
  for (const j of await qmp.execute<{ id: string }[]>('query-jobs')) if (j.id.startsWith('cairn-backup-')) await stopJob(qmp, j.id);
  const nodes = await qmp.execute<{ 'node-name': string; file: string }[]>('query-named-block-nodes', { flat: true });
  for (const n of nodes) {
    if (!n['node-name'].startsWith('cairn-fleece-')) continue;
    await qmp.execute('blockdev-del', { 'node-name': n['node-name'] });
    const scratchDir = dirname(n.file);
    if (basename(scratchDir).startsWith('cairn-fleece-')) await rm(scratchDir, { recursive: true, force: true });
  }
}

async function deleteExport(qmp: QmpClient, id: string): Promise<void> {
  const deleted = qmp.event('BLOCK_EXPORT_DELETED', (d) => d.id === id, 30_000);
  deleted.catch(() => undefined); // awaited below only if the command was taken
  await qmp.execute('block-export-del', { id, mode: 'hard' });
  await deleted;
}

/** Cancels the copy-before-write job and waits until it is gone. */
async function stopJob(qmp: QmpClient, job: string): Promise<void> {
  await qmp.execute('block-job-cancel', { device: job, force: true }).catch(() => undefined);
  for (let waited = 0; waited < 30_000; waited += 20) {
    const jobs = await qmp.execute<{ id: string }[]>('query-jobs');
    if (!jobs.some((j) => j.id === job)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new CairnError('source', `the backup job ${job} did not end within 30 s`);
}
