/** The Protection port on the plugins, the mover and the bank format. */
import { Bank } from '../bank/bank.ts';
import { collectGarbage } from '../bank/gc.ts';
import type { CheckpointInfo, Manifest } from '../bank/manifest.ts';
import { CairnError } from '../core/errors.ts';
import type { BankAccess, CheckpointFacts, Protection } from '../core/protection.ts';
import { CodecPool } from '../mover/codec-pool.ts';
import { backupImage } from '../mover/image-backup.ts';
import { restoreImage, restoreImageToSink, type RestoreResult } from '../mover/image-restore.ts';
import type { ImageWrite } from '../core/plugin.ts';
import { backupServer } from '../mover/server-backup.ts';
import { backupFiles } from '../mover/files-backup.ts';
import { restoreFiles } from '../mover/files-restore.ts';
import { verifyCheckpoints } from '../mover/verify.ts';
import { serverPlugin } from '../plugins/libvirt/server-plugin.ts';
import { volumePlugin } from '../plugins/volume/volume-plugin.ts';
import { openBackend, parseBankLocation, type S3Options } from '../storage/open-backend.ts';

function factsOf(m: CheckpointInfo): CheckpointFacts {
  return {
    ref: m.id, name: m.name, type: m.type, parentRef: m.parent, createdAt: m.createdAt, sourceBytes: m.sourceBytes, writtenBytes: m.writtenBytes,
    storedBytes: m.storedBytes, tags: m.tags, warnings: m.warnings ?? [],
  };
}

/** Names the bank in what plugins leave on resources (bitmaps, libvirt checkpoints): as the CLI does. */
const bankTag = (bank: Bank): string => bank.descriptor.bankId.slice(0, 8);

export function protection(s3: S3Options): Protection {
  async function withBank<T>(access: BankAccess, pooled: boolean, fn: (bank: Bank, pool: CodecPool) => Promise<T>): Promise<T> {
    const pool = pooled ? new CodecPool() : undefined;
    try {
      const storage = await openBackend(parseBankLocation(access.location, s3));
      try {
        const bank = await Bank.open(storage, { passphrase: access.passphrase });
        pool?.unlock(bank.keys);
        return await fn(bank, pool!);
      } finally {
        await storage.close();
      }
    } finally {
      await pool?.close();
    }
  }

  return {
    backup: (access, resource, req) => withBank(access, true, async (bank, pool) => {
      const parent = req.parentRef ? await bank.findManifest(req.parentRef) ?? null : null;
      const common = { name: req.name, parent, tags: req.tags, ...(req.onProgress ? { onProgress: req.onProgress } : {}) };
      const protect = { resourceId: resource.externalId, parentId: parent?.id ?? null, bankTag: bankTag(bank), options: req.options };
      const exclude = Array.isArray(req.options.exclude) ? req.options.exclude.map(String) : [];
      const m: Manifest = resource.type === 'server'
        ? await serverPlugin(resource.hostLocation).protect(protect, (input) => backupServer(bank, pool, input, common))
        : resource.type === 'fileset'
          ? await backupFiles(bank, pool, { root: resource.externalId, exclude, ...common })
          : await volumePlugin.protect(protect, (input) => backupImage(bank, pool, { ...input, ...common }));
      return factsOf(m);
    }),

    checkpoints: (access) => withBank(access, false, async (bank) => (await bank.listCheckpoints()).map(factsOf)),

    restore: (access, ref, at, target, onProgress) => withBank(access, true, async (bank, pool) => {
      const m = await bank.readManifest(ref);
      const write: ImageWrite<RestoreResult> = (sink, inPlace, changed, disk) =>
        restoreImageToSink(bank, pool, m, sink, { inPlace, ...(changed ? { changed } : {}), ...(disk ? { disk } : {}), ...(onProgress ? { onProgress } : {}) });
      let done;
      if (m.index.kind === 'server') {
        const idx = m.index;
        done = await serverPlugin(at.hostLocation).restore({
          checkpointId: m.id, size: 0, bankTag: bankTag(bank), target,
          server: { domain: idx.domain, disks: idx.disks.map((d) => ({ target: d.target, source: d.source, format: d.format, size: d.index.size })) },
        }, write);
      } else if (m.index.kind === 'files') {
        const path = String(target.path);
        const include = Array.isArray(target.include) ? target.include.map(String) : [];
        const r = await restoreFiles(bank, pool, m, path, include, onProgress);
        return { restoredBytes: r.bytes, writtenBytes: r.bytes, paths: [path] };
      } else if (m.index.kind === 'fixed' && target.format === 'raw' && target.inPlace !== true) {
        // A new raw image is a plain file: written directly, under a temporary name until complete.
        const path = String(target.path);
        done = { images: [{ path, result: await restoreImage(bank, pool, m, path, onProgress) }] };
      } else if (m.index.kind === 'fixed') {
        done = await volumePlugin.restore({ checkpointId: m.id, size: m.index.size, bankTag: bankTag(bank), target }, write);
      } else {
        throw new CairnError('unsupported', `checkpoint ${ref} is a ${m.type}; the service restores volumes, servers and file sets`);
      }
      return {
        restoredBytes: done.images.reduce((n, i) => n + i.result.restoredBytes, 0), writtenBytes: done.images.reduce((n, i) => n + i.result.writtenBytes, 0),
        paths: done.images.map((i) => i.path), ...(done.domain ? { domain: done.domain } : {}),
      };
    }),

    forget: (access, ref, resource) => withBank(access, false, async (bank) => {
      const m = await bank.findManifest(ref);
      if (m) await bank.deleteCheckpoint(ref);
      if (!resource) return;
      // What the plugin keeps for the checkpoint goes even when the bank had lost it already.
      if (resource.type === 'server') await serverPlugin(resource.hostLocation).forget(resource.externalId, ref, bankTag(bank));
      else await volumePlugin.forget(resource.externalId, ref, bankTag(bank)).catch((err: unknown) => {
        if (!(err instanceof CairnError && err.code === 'not-found')) throw err; // the volume itself is gone
      });
    }),

    gc: (access, onProgress) => withBank(access, false, async (bank) => {
      const r = await collectGarbage(bank, { ...(onProgress ? { onProgress } : {}) });
      return { deletedPacks: r.deletedPacks + r.deletedOrphans, deletedBytes: r.deletedBytes, deferredPacks: r.deferredPacks };
    }),

    verify: (access, refs, onProgress) => withBank(access, true, async (bank, pool) => {
      const manifests = await Promise.all(refs.map((r) => bank.readManifest(r)));
      const report = await verifyCheckpoints(bank, pool, manifests, onProgress);
      return report.checkpoints.map((c) => ({ ref: c.id, damaged: c.damaged, problems: c.problems }));
    }),
  };
}
