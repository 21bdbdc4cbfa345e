/**
 * The `server` resource type: libvirt domains on one connection (a URI). See docs/servers.md.
 */
import { CairnError } from '../../core/errors.ts';
import type { ImageWrite, ProtectRequest, ProtectionPlugin, Resource, Restored, RestoreRequest, ServerInput, ServerStore } from '../../core/plugin.ts';
import { backupDomain, checkpointName, deleteCheckpoint } from './domain-backup.ts';
import { restoreDomain } from './domain-restore.ts';
import { parseDomain } from './domain-xml.ts';
import { Virsh } from './virsh.ts';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';

export function serverPlugin(uri?: string): ProtectionPlugin<ServerInput> {
  const virsh = new Virsh(uri);
  return {
    type: 'server',

    backupOptionsSchema: {
      $schema: SCHEMA, type: 'object', additionalProperties: false,
      properties: {
        quiesce: { type: 'boolean', default: false, description: 'freeze the guest\'s file systems through its agent for the point in time (else crash-consistent)' },
        scratchDir: { type: 'string', description: 'where QEMU keeps the blocks the guest overwrites while the backup runs' },
      },
    },

    restoreTargetSchema: {
      $schema: SCHEMA, type: 'object', additionalProperties: false,
      properties: {
        mode: { enum: ['in-place', 'new', 'recreate'], default: 'recreate', description: 'into the existing domain (shut off); as a new domain; or the original again, after it was undefined' },
        name: { type: 'string', description: 'the new domain\'s name (mode new)' },
        dir: { type: 'string', description: 'where a new domain\'s disks go (default: beside the original disks)' },
      },
    },

    async discover(): Promise<Resource[]> {
      const names = (await virsh.run('list', '--all', '--name')).split('\n').map((l) => l.trim()).filter(Boolean).sort();
      const found: Resource[] = [];
      for (const name of names) {
        const def = parseDomain(await virsh.run('dumpxml', '--inactive', name));
        const state = await virsh.state(name);
        const disks = def.disks.filter((d) => d.device === 'disk' && d.path);
        found.push({
          type: 'server', id: def.name, name: def.name,
          details: { uuid: def.uuid, state, disks: disks.length },
          children: disks.map((d) => ({ type: 'volume', id: d.path!, name: d.target, details: { format: d.format, changedBlockTracking: d.format === 'qcow2' } })),
        });
      }
      return found;
    },

    protect<T>(req: ProtectRequest, store: ServerStore<T>): Promise<T> {
      const scratchDir = typeof req.options.scratchDir === 'string' ? req.options.scratchDir : undefined;
      return backupDomain({ virsh, domain: req.resourceId, parentId: req.parentId, bankTag: req.bankTag, quiesce: req.options.quiesce === true, ...(scratchDir ? { scratchDir } : {}) }, store);
    },

    restore<T>(req: RestoreRequest, write: ImageWrite<T>): Promise<Restored<T>> {
      if (!req.server) throw new CairnError('bad-input', `checkpoint ${req.checkpointId} is not a server's`);
      const mode = req.target.mode ?? 'recreate';
      if (mode !== 'in-place' && mode !== 'new' && mode !== 'recreate') throw new CairnError('bad-input', `restore mode ${JSON.stringify(mode)}: use in-place, new or recreate`);
      const name = typeof req.target.name === 'string' ? req.target.name : undefined;
      if (mode === 'new' && !name) throw new CairnError('bad-input', 'a restore as a new domain needs its name (--as <name>)');
      const dir = typeof req.target.dir === 'string' ? req.target.dir : undefined;
      return restoreDomain({ virsh, checkpointId: req.checkpointId, bankTag: req.bankTag, server: req.server, mode, ...(name ? { newName: name } : {}), ...(dir ? { dir } : {}) }, write);
    },

    async forget(resourceId: string, checkpointId: string, bankTag: string): Promise<void> {
      if (!(await virsh.exists(resourceId))) return;
      await deleteCheckpoint(virsh, resourceId, checkpointName(bankTag, checkpointId));
    },
  };
}
