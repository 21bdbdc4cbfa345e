/**
 * Stores a server: every disk into one session, and one checkpoint that holds them all with the
 * server's definition. A disk is incremental on the parent's disk of the same target; a disk the
 * parent lacks (added since) is read whole.
 */
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import type { ServerInput } from '../core/plugin.ts';
import { BackupSession } from '../bank/backup-session.ts';
import type { Bank } from '../bank/bank.ts';
import type { Manifest, ServerDisk } from '../bank/manifest.ts';
import type { CodecPool } from './codec-pool.ts';
import { compatibleParent, storeImage } from './image-backup.ts';

export interface ServerBackupRequest {
  name: string;
  parent: Manifest | null;
  tags?: string[];
  onProgress?: ProgressListener;
}

export async function backupServer(bank: Bank, pool: CodecPool, input: ServerInput, req: ServerBackupRequest): Promise<Manifest> {
  const parentDisks = new Map(req.parent?.index.kind === 'server' ? req.parent.index.disks.map((d) => [d.target, d.index]) : []);
  const warnings = [...input.warnings];
  const session = await BackupSession.start(bank, { checkpointId: input.checkpointId });
  const meter = new ProgressMeter('backup', 0, req.onProgress);
  try {
    const disks: ServerDisk[] = [];
    let readBytes = 0, storedBytes = 0, sourceBytes = 0;
    for (const disk of input.disks) {
      const parent = compatibleParent(parentDisks.get(disk.target), bank);
      if (disk.dirtyExtents && !parent) warnings.push(`${disk.target}: the parent checkpoint holds no copy of this disk to build on; it was read whole`);
      const dirty = parent ? disk.dirtyExtents : undefined;
      const stored = await storeImage(session, pool, disk.source, { parent, ...(dirty ? { dirtyExtents: dirty } : {}), meter });
      disks.push({ target: disk.target, source: disk.path, format: disk.format, readBytes: stored.readBytes, index: stored.index });
      readBytes += stored.readBytes;
      storedBytes += stored.storedBytes;
      sourceBytes += stored.index.size;
    }
    meter.finish();
    return await session.commit({
      name: req.name, type: 'server', parent: req.parent?.id ?? null, tags: req.tags ?? [],
      sourceBytes, readBytes, storedBytes,
      index: { kind: 'server', domain: input.domain, consistency: input.consistency, disks },
      ...(warnings.length ? { warnings } : {}),
    });
  } catch (err) {
    await session.close();
    throw err;
  }
}
