/**
 * The `volume` resource type: qcow2 and raw image files not in use (a directory of them), and block
 * nodes of a running qemu-storage-daemon (its QMP socket). See docs/volumes.md.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { ImageStore, ImageWrite, ProtectRequest, ProtectionPlugin, Resource, Restored, RestoreRequest } from '../../core/plugin.ts';
import { QmpClient } from '../qemu/qmp-client.ts';
import { backupOfflineVolume } from './offline-volume.ts';
import { backupOnlineVolume } from './online-volume.ts';
import { changeBitmap, imageInfo } from './qemu-img.ts';
import { restoreVolume } from './volume-restore.ts';

/**
 * `<qmp-socket>#<node>` names a block node of a daemon when the part before '#' is a socket; anything
 * else is an image file (whose name may hold a '#').
 */
async function locate(resourceId: string): Promise<{ qmpSocket: string; node: string } | undefined> {
  const m = /^(.+)#([^#/]+)$/.exec(resourceId);
  if (!m) return undefined;
  const st = await stat(m[1]!).catch(() => undefined);
  if (st?.isSocket()) return { qmpSocket: m[1]!, node: m[2]! };
  if (st || await stat(resourceId).catch(() => undefined)) return undefined;
  throw new CairnError('not-found', `${m[1]} does not exist: name the QMP socket of the daemon serving node ${m[2]} (qmp-socket#node), or an image file`);
}

export const volumePlugin: ProtectionPlugin = {
  type: 'volume',

  backupOptionsSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    properties: {
      nbdSocket: { type: 'string', description: 'the NBD server socket a qemu-storage-daemon already runs (else one is started for the backup)' },
    },
  },

  restoreTargetSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', description: 'the new image file, or the volume to restore into' },
      format: { enum: ['raw', 'qcow2'], default: 'qcow2', description: 'the format of a new image' },
      inPlace: { type: 'boolean', default: false, description: 'write into the existing volume (not in use), only the blocks that differ' },
    },
  },

  async discover(location: string): Promise<Resource[]> {
    const st = await stat(location).catch(() => undefined);
    if (!st) throw new CairnError('not-found', `${location} does not exist`);
    if (st.isSocket()) return discoverDaemon(location);
    if (!st.isDirectory()) throw new CairnError('bad-input', `${location} is neither a directory of volumes nor a QMP socket`);
    const found: Resource[] = [];
    for (const entry of (await readdir(location, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isFile()) continue;
      const path = join(location, entry.name);
      // One qemu-img call, taking the lock: it fails on a volume in use, which is then read without it.
      let inUse = false;
      const info = await imageInfo(path).catch((err: unknown) => {
        if (!(err instanceof CairnError && err.code === 'locked')) return undefined;
        inUse = true;
        return imageInfo(path, true).catch(() => undefined);
      });
      // Any file reads as a raw image: only files named like one count as raw volumes.
      if (!info || !(info.format === 'qcow2' || (info.format === 'raw' && /\.(img|raw)$/.test(entry.name)))) continue;
      found.push({
        type: 'volume', id: path, name: basename(path), sizeBytes: info.virtualSize,
        details: { format: info.format, inUse, changedBlockTracking: info.format === 'qcow2', bitmaps: info.bitmaps.map((b) => b.name) },
      });
    }
    return found;
  },

  async protect<T>(req: ProtectRequest, store: ImageStore<T>): Promise<T> {
    const online = await locate(req.resourceId);
    const nbdSocket = typeof req.options.nbdSocket === 'string' ? req.options.nbdSocket : undefined;
    if (nbdSocket && !online) throw new CairnError('bad-input', 'an NBD socket (--nbd-socket) is only for a volume served by qemu-storage-daemon (qmp-socket#node)');
    const common = { parentId: req.parentId, bankTag: req.bankTag };
    return online
      ? backupOnlineVolume({ ...online, ...common, ...(nbdSocket ? { nbdSocket } : {}) }, store)
      : backupOfflineVolume({ path: req.resourceId, ...common }, store);
  },

  async restore<T>(req: RestoreRequest, write: ImageWrite<T>): Promise<Restored<T>> {
    const path = req.target.path;
    if (typeof path !== 'string' || path === '') throw new CairnError('bad-input', 'a volume restore needs a target path');
    if (req.target.format !== undefined && req.target.format !== 'qcow2') throw new CairnError('unsupported', 'a new volume is restored as qcow2 here; raw images restore to a file with cairn restore');
    const result = await restoreVolume({ path, size: req.size, inPlace: req.target.inPlace === true, checkpointId: req.checkpointId, bankTag: req.bankTag }, write);
    return { images: [{ path, result }] };
  },

  async forget(resourceId: string, checkpointId: string, bankTag: string): Promise<void> {
    const name = `cairn-${bankTag}-${checkpointId}`;
    const online = await locate(resourceId);
    if (online) {
      const qmp = await QmpClient.connect(online.qmpSocket);
      try {
        await qmp.execute('block-dirty-bitmap-remove', { node: online.node, name }).catch((err: unknown) => {
          if (!/not found|no bitmap/i.test((err as Error).message)) throw err;
        });
      } finally {
        qmp.close();
      }
      return;
    }
    const info = await imageInfo(resourceId);
    if (info.bitmaps.some((b) => b.name === name)) await changeBitmap(resourceId, { remove: name });
  },
};

/** The block nodes of a daemon that carry a volume: format nodes with names given by their owner. */
async function discoverDaemon(socket: string): Promise<Resource[]> {
  const qmp = await QmpClient.connect(socket);
  try {
    const nodes = await qmp.execute<{ 'node-name': string; drv: string; image: { 'virtual-size': number }; 'dirty-bitmaps'?: { name: string }[] }[]>('query-named-block-nodes', { flat: true });
    const protocols = new Set(['file', 'host_device', 'nbd', 'null-co', 'throttle', 'copy-before-write', 'snapshot-access']);
    return nodes
      .filter((n) => !n['node-name'].startsWith('#') && !n['node-name'].startsWith('cairn-') && !protocols.has(n.drv))
      .map((n) => ({
        type: 'volume' as const, id: `${socket}#${n['node-name']}`, name: n['node-name'], sizeBytes: n.image['virtual-size'],
        details: { format: n.drv, inUse: true, changedBlockTracking: n.drv === 'qcow2', bitmaps: (n['dirty-bitmaps'] ?? []).map((b) => b.name) },
      }));
  } finally {
    qmp.close();
  }
}
