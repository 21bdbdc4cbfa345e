// Cairn through its CLI, exactly as a user runs it, with the Node that runs the benchmark.
// The CLI may be missing or incomplete: every failure becomes a result, never an exception.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandResult } from './measure.ts';
import { run, runMeasured } from './measure.ts';
import { lastJsonLine } from './peers.ts';
import type { BackupRun, BenchTool, CairnReport } from './tool.ts';
import { commandTimeoutMs } from './tool.ts';

// bin/cairn.js run as an executable, as npx cairn runs it: its #! line sets the Node flags, and it turns
// on Node's compile cache before loading the sources. `env node` finds the Node running the benchmark.
const cli = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const reportFields = ['id', 'parent', 'sourceBytes', 'readBytes', 'writtenBytes', 'durationMs'] as const;

const env = { CAIRN_PASSPHRASE: 'cairn-bench-not-secret', PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(':') };

/** The CLI run and measured, in `cwd` when given. */
export function runCairn(args: string[], cwd?: string): Promise<CommandResult> {
  return runMeasured(cli, args, { env, timeoutMs: commandTimeoutMs, ...(cwd === undefined ? {} : { cwd }) });
}

export async function cairnVersion(): Promise<string> {
  const commit = (await run('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']).catch(() => 'unknown')).trim();
  return `cairn working tree at ${commit}, node ${process.version}`;
}

export function cairn(): BenchTool {
  return {
    name: 'cairn',
    settings: 'cairn defaults, run by the CLI from the working tree',
    version: cairnVersion,
    init: (bank) => runCairn(['bank', 'init', bank]),
    async backup(bank, srcDir, entry, kind): Promise<BackupRun> {
      // The same --name on both runs makes the incremental's parent the full backup's checkpoint.
      const result = await runCairn(['backup', kind, entry, '--bank', bank, '--name', `bench-${kind}`, '--json'], srcDir);
      if (!result.ok) return { result };
      const report = parseReport(result.stdout);
      if (typeof report === 'string') return { result: { ...result, ok: false, error: report } };
      return { result, ref: report.id, report };
    },
    restore: (bank, ref, outDir, entry) => runCairn(['restore', ref, '--bank', bank, '--to', join(outDir, entry), '--json']),
  };
}

/** The report, or why the output is not one. */
function parseReport(stdout: string): CairnReport | string {
  const text = stdout.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text); // one (possibly pretty-printed) object and nothing else
  } catch {
    parsed = lastJsonLine(text);
    const start = text.lastIndexOf('\n{');
    if (parsed === undefined && start >= 0) parsed = lastJsonLine(text.slice(start).replace(/\n/g, ' '));
  }
  if (typeof parsed !== 'object' || parsed === null) return `no JSON report on stdout${text ? `: ${text.slice(-200)}` : ' (stdout empty)'}`;
  const missing = reportFields.filter((field) => !(field in parsed));
  if (missing.length > 0) return `JSON report lacks ${missing.join(', ')}`;
  return parsed as CairnReport;
}

/** `cairn checkpoints --json`, kept in the results file as evidence of the checkpoint chain. */
export async function listCheckpoints(bank: string): Promise<unknown> {
  const result = await runMeasured(cli, ['checkpoints', '--bank', bank, '--json'], {
    env, timeoutMs: 60_000,
  });
  if (!result.ok) return { error: result.error };
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch {
    return { error: 'not JSON', stdout: result.stdout.slice(-500) };
  }
}
