/** cairn verify [<checkpoint>]: exit status 3 when anything is damaged. */
import { CairnError } from '../../core/errors.ts';
import { verifyCheckpoints } from '../../mover/verify.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter } from '../output.ts';
import { withBankAndPool } from '../with-bank.ts';

export async function verifyCommand(env: CliEnvironment, ref: string | undefined, opts: BankOptions & { json?: boolean }): Promise<void> {
  const report = await withBankAndPool(env, opts, async (bank, pool) => {
    const manifests = ref ? [await bank.resolveCheckpoint(ref)] : await bank.listCheckpoints();
    const progress = progressReporter(env, !!opts.json);
    const r = await verifyCheckpoints(bank, pool, manifests, progress.listener);
    progress.done();
    return r;
  });
  const damaged = report.checkpoints.filter((c) => c.damaged);
  if (opts.json) printJson(env, { ok: damaged.length === 0, ...report });
  else {
    env.stdout.write(`checked ${report.checkpoints.length} checkpoint(s): ${report.chunksChecked} chunks, ${formatBytes(report.bytesChecked)}\n`);
    for (const c of damaged) {
      env.stdout.write(`DAMAGED checkpoint ${c.id} (${c.name}, ${c.type})\n`);
      for (const p of c.problems) env.stdout.write(`  ${p}\n`);
    }
    if (damaged.length === 0) env.stdout.write('no damage found\n');
  }
  if (damaged.length > 0) {
    throw new CairnError('corrupt', `${damaged.length} damaged checkpoint(s): ${damaged.map((c) => c.id).join(', ')}`);
  }
}
