/** cairn checkpoints */
import type { CheckpointInfo } from '../../bank/manifest.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';
import { withBank } from '../with-bank.ts';

export function checkpointSummary(m: CheckpointInfo) {
  return {
    id: m.id, name: m.name, type: m.type, parent: m.parent, createdAt: m.createdAt, host: m.host, tags: m.tags,
    sourceBytes: m.sourceBytes, readBytes: m.readBytes, writtenBytes: m.writtenBytes, storedBytes: m.storedBytes,
  };
}

export async function checkpointsCommand(env: CliEnvironment, opts: BankOptions & { name?: string; json?: boolean }): Promise<void> {
  await withBank(env, opts, async (bank) => {
    const all = (await bank.listCheckpoints()).filter((m) => opts.name === undefined || m.name === opts.name);
    if (opts.json) return printJson(env, all.map(checkpointSummary));
    if (all.length === 0) {
      env.stdout.write(opts.name ? `no checkpoints of ${opts.name}\n` : 'no checkpoints yet\n');
      return;
    }
    env.stdout.write(table([
      ['ID', 'CREATED', 'NAME', 'TYPE', 'KIND', 'SIZE', 'WRITTEN'],
      ...all.map((m) => [m.id, m.createdAt.replace('T', ' ').slice(0, 19), m.name, m.type, m.parent ? 'incremental' : 'full', formatBytes(m.sourceBytes), formatBytes(m.writtenBytes)]),
    ]));
  });
}
