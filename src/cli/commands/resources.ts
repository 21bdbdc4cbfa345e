/** cairn resources <location> | --connect <uri>: what the plugins find there (volumes, or libvirt domains), without a bank. */
import { CairnError } from '../../core/errors.ts';
import type { Resource } from '../../core/plugin.ts';
import { serverPlugin } from '../../plugins/libvirt/server-plugin.ts';
import { volumePlugin } from '../../plugins/volume/volume-plugin.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';

export async function resourcesCommand(env: CliEnvironment, location: string | undefined, opts: { json?: boolean; connect?: string }): Promise<void> {
  // A libvirt URI (qemu:///system, qemu+ssh://host/system) names a hypervisor: its domains are servers.
  const uri = opts.connect ?? (location?.includes('://') ? location : undefined);
  if (uri && opts.connect && location) throw new CairnError('bad-input', 'give a location or --connect <uri>, not both');
  if (uri) return listServers(env, await serverPlugin(uri).discover(uri), uri, opts.json);
  if (!location) throw new CairnError('bad-input', 'say where to look: a directory of volumes, a qemu-storage-daemon QMP socket, or --connect <libvirt-uri>');
  const found: Resource[] = await volumePlugin.discover(location);
  if (opts.json) return printJson(env, found);
  if (found.length === 0) {
    env.stdout.write(`no volumes in ${location}\n`);
    return;
  }
  const yes = (v: unknown): string => (v ? 'yes' : 'no');
  env.stdout.write(table([
    ['ID', 'TYPE', 'SIZE', 'FORMAT', 'IN USE', 'CBT'],
    ...found.map((r) => [r.id, r.type, formatBytes(r.sizeBytes ?? 0), typeof r.details?.format === 'string' ? r.details.format : '', yes(r.details?.inUse), yes(r.details?.changedBlockTracking)]),
  ]));
}

function listServers(env: CliEnvironment, found: Resource[], uri: string, json?: boolean): void {
  if (json) return printJson(env, found);
  if (found.length === 0) {
    env.stdout.write(`no domains at ${uri}\n`);
    return;
  }
  const rows: string[][] = [['ID', 'TYPE', 'STATE', 'DISKS']];
  for (const r of found) {
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    rows.push([r.id, r.type, text(r.details?.state), (r.children ?? []).map((d) => `${d.name}:${text(d.details?.format)}`).join(' ')]);
  }
  env.stdout.write(table(rows));
}
