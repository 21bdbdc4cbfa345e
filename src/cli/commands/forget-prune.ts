/** cairn forget <checkpoint>… and cairn prune: remove checkpoints; their data goes at the next `cairn gc`. */
import { CairnError, isCairnError } from '../../core/errors.ts';
import { parseDuration, selectRetention, validateRules, type RetentionRules } from '../../core/retention.ts';
import type { CheckpointInfo, Manifest } from '../../bank/manifest.ts';
import { serverPlugin } from '../../plugins/libvirt/server-plugin.ts';
import { checkpointName } from '../../plugins/libvirt/domain-backup.ts';
import { bitmapTag } from './backup.ts';
import type { BankOptions, CliEnvironment } from '../context.ts';
import { printJson, table } from '../output.ts';
import { withBank } from '../with-bank.ts';

export async function forgetCommand(env: CliEnvironment, refs: string[], opts: BankOptions & { json?: boolean; connect?: string }): Promise<void> {
  if (refs.length === 0) throw new CairnError('bad-input', 'name the checkpoints to forget (ids or unique prefixes)');
  await withBank(env, opts, async (bank) => {
    // Resolve all first: one bad id changes nothing.
    const targets: { id: string; name: string; index?: Manifest['index'] }[] = [];
    for (const ref of refs) {
      try {
        targets.push(await bank.resolveCheckpoint(ref));
      } catch (err) {
        // A damaged manifest must still be removable, by its full id.
        if (!(isCairnError(err, 'corrupt') && /^[0-9a-f]{16}$/.test(ref))) throw err;
        targets.push({ id: ref, name: '(damaged manifest)' });
      }
    }
    for (const m of targets) await bank.deleteCheckpoint(m.id);
    for (const m of targets) if (m.index?.kind === 'server') await forgetOnServer(env, opts.connect, m.index.domain.name, m.id, bitmapTag(bank));
    if (opts.json) printJson(env, { forgotten: targets.map((m) => m.id) });
    else for (const m of targets) env.stdout.write(`forgot checkpoint ${m.id} of ${m.name}; run 'cairn gc' to free its space\n`);
  });
}

/**
 * A forgotten server checkpoint's libvirt checkpoint goes too, so a domain no longer backed up keeps no
 * bitmap recording for nothing. Best effort: the checkpoint is gone from the bank either way, and the
 * next backup of the domain removes what is left.
 */
async function forgetOnServer(env: CliEnvironment, uri: string | undefined, domain: string, id: string, tag: string): Promise<void> {
  try {
    await serverPlugin(uri).forget(domain, id, tag);
  } catch (err) {
    if (isCairnError(err, 'unsupported')) return; // no libvirt here: nothing of Cairn's can be in it
    env.stderr.write(`warning: could not delete libvirt checkpoint ${checkpointName(tag, id)} of ${domain}: ${(err as Error).message}\n`);
  }
}

export interface PruneOptions extends BankOptions {
  name?: string;
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepWithin?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function parseRules(opts: PruneOptions): RetentionRules {
  const count = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new CairnError('bad-input', `${flag} takes a whole number, not '${v}'`);
    return Number(v);
  };
  const rules: RetentionRules = {};
  const set = <K extends keyof RetentionRules>(k: K, v: RetentionRules[K] | undefined): void => { if (v !== undefined) rules[k] = v; };
  set('keepLast', count('--keep-last', opts.keepLast));
  set('keepHourly', count('--keep-hourly', opts.keepHourly));
  set('keepDaily', count('--keep-daily', opts.keepDaily));
  set('keepWeekly', count('--keep-weekly', opts.keepWeekly));
  set('keepMonthly', count('--keep-monthly', opts.keepMonthly));
  set('keepYearly', count('--keep-yearly', opts.keepYearly));
  if (opts.keepWithin !== undefined) rules.keepWithin = parseDuration(opts.keepWithin);
  validateRules(rules);
  return rules;
}

/** Applies the rules to each resource's checkpoints separately (see docs/prune.md). */
export async function pruneCommand(env: CliEnvironment, opts: PruneOptions): Promise<void> {
  const rules = parseRules(opts);
  await withBank(env, opts, async (bank) => {
    const groups = new Map<string, CheckpointInfo[]>();
    for (const m of await bank.listCheckpoints()) {
      if (opts.name !== undefined && m.name !== opts.name) continue;
      groups.set(m.name, [...(groups.get(m.name) ?? []), m]);
    }
    const decisions: { id: string; name: string; createdAt: string; action: 'keep' | 'remove'; reasons: string[] }[] = [];
    for (const [name, list] of groups) {
      const byId = new Map(list.map((m) => [m.id, m]));
      const sel = selectRetention(list.map((m) => ({ id: m.id, createdAt: Date.parse(m.createdAt) })), rules);
      for (const k of sel.keep) decisions.push({ id: k.id, name, createdAt: byId.get(k.id)!.createdAt, action: 'keep', reasons: k.reasons });
      for (const id of sel.remove) decisions.push({ id, name, createdAt: byId.get(id)!.createdAt, action: 'remove', reasons: [] });
    }
    decisions.sort((a, b) => a.name.localeCompare(b.name) || b.createdAt.localeCompare(a.createdAt));
    if (!opts.dryRun) for (const d of decisions) if (d.action === 'remove') await bank.deleteCheckpoint(d.id);
    if (opts.json) return printJson(env, { dryRun: !!opts.dryRun, keep: decisions.filter((d) => d.action === 'keep'), remove: decisions.filter((d) => d.action === 'remove') });
    if (decisions.length === 0) { env.stdout.write('no checkpoints to consider\n'); return; }
    env.stdout.write(table([['ID', 'CREATED', 'NAME', opts.dryRun ? 'WOULD' : 'ACTION', 'WHY'],
      ...decisions.map((d) => [d.id, d.createdAt.replace('T', ' ').slice(0, 19), d.name, d.action, d.reasons.join(',')])]));
    const removed = decisions.filter((d) => d.action === 'remove').length;
    env.stdout.write(opts.dryRun ? `dry run: would remove ${removed} checkpoint(s); nothing changed\n` : `removed ${removed} checkpoint(s); run 'cairn gc' to free their space\n`);
  });
}
