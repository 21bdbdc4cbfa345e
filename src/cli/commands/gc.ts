/** cairn gc: delete what no checkpoint needs; safe while backups run (see src/bank/gc.ts). */
import { collectGarbage } from '../../bank/gc.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter } from '../output.ts';
import { withBank } from '../with-bank.ts';

export async function gcCommand(env: CliEnvironment, opts: BankOptions & { dryRun?: boolean; json?: boolean }): Promise<void> {
  await withBank(env, opts, async (bank) => {
    const progress = progressReporter(env, !!opts.json);
    const r = await collectGarbage(bank, { dryRun: !!opts.dryRun, onProgress: progress.listener });
    progress.done();
    if (opts.json) return printJson(env, r);
    const verb = r.dryRun ? 'would delete' : 'deleted';
    env.stdout.write(`${r.checkpoints} checkpoint(s) reference ${r.referencedChunks} chunks in ${r.packs - r.deadPacks} of ${r.packs} packs\n` +
      `${verb} ${r.deletedPacks} unused pack(s) and ${r.deletedOrphans} orphan pack(s): ${formatBytes(r.deletedBytes)}\n`);
    if (r.deferredPacks > 0) env.stdout.write(`${r.deferredPacks} unused pack(s) wait for ${r.liveSessions} running backup(s) to finish; the next gc deletes them\n`);
  });
}
