/** cairn resources <location>: what the plugins find there (today: volumes), without a bank. */
import type { Resource } from '../../core/plugin.ts';
import { volumePlugin } from '../../plugins/volume/volume-plugin.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';

export async function resourcesCommand(env: CliEnvironment, location: string, opts: { json?: boolean }): Promise<void> {
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
