// One tool on one data set: init, full backup, change the source in place, incremental backup
// from the same path, restore of the incremental, byte-for-byte comparison with the expected data.
// Every tool gets the same sequence and the same page-cache conditions before each timed step.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listCheckpoints } from './cairn.ts';
import type { ImageSet, RewriteKind, TreeSet } from './dataset.ts';
import type { CommandResult } from './measure.ts';
import { countFiles, diskUsage, dropCaches, run } from './measure.ts';
import type { BackupRun, BenchTool, CairnReport, DataKind, Phase } from './tool.ts';
import { applyTreeChanges } from './tree-changes.ts';

/** A data set as the scenario sees it: how to lay it down, change it and check a restore. */
export interface Subject {
  /** What the tools back up. */
  kind: DataKind;
  /** The data set's name in the table: the kind, and which change for images. */
  name: string;
  /** The data set's description, for the results file. */
  dataset: ImageSet | TreeSet;
  entry: string;
  fullBytes: number;
  modifiedBytes: number;
  /** Bytes whose content changed between full and incremental (amplification denominator). */
  changedBytes: number;
  /** How the data changed before the incremental, for the report. */
  changeNote: string;
  /** Images: what the modified image allocates, to compare a restore's sparseness with. */
  modifiedAllocatedBytes?: number;
  place(path: string): Promise<void>;
  change(path: string): Promise<void>;
  /** Undefined when `restored` equals the expected data, else what differs. */
  verify(restored: string): Promise<string | undefined>;
}

export interface Row {
  data: string;
  tool: string;
  phase: Phase;
  ok: boolean;
  seconds?: number;
  /**
   * A `sync` right after the command: the write-back the tool left in the page cache. Tools that
   * fsync pay inside `seconds`, tools that do not pay here; a restore is only durable after both.
   */
  syncSeconds?: number;
  /** Bytes processed, for MB/s: the logical source size (a whole image counts, holes included). */
  bytes: number;
  peakRssMb?: number | null;
  repoBytes?: number;
  addedBytes?: number;
  note: string;
  error?: string;
  report?: CairnReport;
}

export interface ScenarioResult {
  rows: Row[];
  repoFiles?: number;
  restoredAllocatedBytes?: number;
  checkpoints?: unknown;
}

export function imageSubject(set: ImageSet, rewrite: RewriteKind): Subject {
  const variant = set.variants[rewrite];
  return {
    kind: 'image', name: rewrite === 'random' ? 'image' : `image-${rewrite}`, dataset: set, entry: 'disk.img',
    fullBytes: set.logicalBytes, modifiedBytes: set.logicalBytes, changedBytes: variant.rewrite.changedBytes,
    changeNote: `scattered 64 KiB blocks of ${rewrite === 'random' ? 'random data' : 'real file data'}`, modifiedAllocatedBytes: variant.modifiedAllocatedBytes,
    place: async (path) => void (await run('cp', ['--sparse=always', set.base, path])),
    // cp onto the existing file keeps its inode and path, as a disk that was written to would.
    change: async (path) => void (await run('cp', ['--sparse=always', variant.modified, path])),
    verify: (restored) => differs('cmp', [variant.modified, restored]),
  };
}

export function treeSubject(set: TreeSet): Subject {
  return {
    kind: 'files', name: 'files', dataset: set, entry: 'tree', fullBytes: set.bytes, modifiedBytes: set.modifiedBytes,
    changedBytes: set.plan.changedBytes, changeNote: '1% of the files rewritten in part or touched, 10 added, 10 deleted',
    place: async (path) => void (await run('cp', ['-a', set.base, path])),
    change: (path) => applyTreeChanges(path, set.plan),
    // Contents and symlink targets; ownership, modes and times are not compared.
    verify: (restored) => differs('diff', ['-r', '-q', '--no-dereference', set.modified, restored]),
  };
}

export async function differs(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    await run(cmd, args);
    return undefined;
  } catch (err) {
    return (err as Error).message.slice(0, 500);
  }
}

/** Cold page cache before every timed step; when that is not allowed, everything starts warm. */
async function settle(cold: boolean, path: string): Promise<void> {
  if (cold && (await dropCaches())) return;
  await run('sh', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', 'sh', path]);
}

export async function runScenario(tool: BenchTool, subject: Subject, dir: string, cold: boolean, keep: boolean): Promise<ScenarioResult> {
  const [src, repo, out] = [join(dir, 'src'), join(dir, 'repo'), join(dir, 'out')];
  const source = join(src, subject.entry);
  await rm(dir, { recursive: true, force: true });
  await mkdir(src, { recursive: true });
  await mkdir(out, { recursive: true });
  await subject.place(source);
  const result: ScenarioResult = { rows: [] };
  const base = { data: subject.name, tool: tool.name };
  const init = await tool.init(repo);
  if (!init.ok) {
    const error = `init failed: ${init.error}`;
    for (const phase of ['full', 'incremental', 'restore'] as const) result.rows.push({ ...base, phase, ok: false, bytes: 0, note: '', error });
    return result;
  }
  const backup = async (phase: Phase, bytes: number): Promise<BackupRun> => {
    const before = await repoSize(repo);
    await settle(cold, source);
    const done = await tool.backup(repo, src, subject.entry, subject.kind, phase);
    const syncSeconds = await timedSync();
    const repoBytes = await repoSize(repo);
    const row: Row = { ...base, phase, ...measured(done.result, bytes), syncSeconds, repoBytes, addedBytes: repoBytes - before };
    if (done.report) row.report = done.report;
    result.rows.push(row);
    return done;
  };
  const full = await backup('full', subject.fullBytes);
  await subject.change(source);
  const incremental = await backup('incremental', subject.modifiedBytes);
  if (full.report && incremental.report && incremental.report.parent !== full.report.id) {
    const row = result.rows.at(-1);
    if (row) row.note = `WARNING: parent ${incremental.report.parent} is not the full checkpoint`;
  }
  result.rows.push(await restore(tool, subject, repo, out, incremental.ref, cold, result));
  result.repoFiles = await countFiles(repo).catch(() => undefined);
  if (tool.name === 'cairn') result.checkpoints = await listCheckpoints(repo);
  if (!keep) await rm(dir, { recursive: true, force: true });
  return result;
}

async function restore(tool: BenchTool, subject: Subject, repo: string, out: string, ref: string | undefined, cold: boolean, result: ScenarioResult): Promise<Row> {
  const row = { data: subject.name, tool: tool.name, phase: 'restore' as const, bytes: subject.modifiedBytes };
  if (ref === undefined) return { ...row, ok: false, note: '', error: 'nothing to restore: the incremental backup failed' };
  await settle(cold, repo);
  const done = await tool.restore(repo, ref, out, subject.entry, subject.kind);
  const syncSeconds = await timedSync();
  if (!done.ok) return { ...row, ...measured(done, row.bytes), syncSeconds };
  const restored = join(out, subject.entry);
  result.restoredAllocatedBytes = existsSync(restored) ? (await diskUsage(restored)).allocated : undefined;
  const mismatch = await subject.verify(restored);
  if (mismatch === undefined) return { ...row, ...measured(done, row.bytes), syncSeconds, note: 'restore identical' };
  return { ...row, ...measured(done, row.bytes), syncSeconds, ok: false, note: 'RESTORE MISMATCH', error: `RESTORE MISMATCH: ${mismatch}` };
}

export function measured(done: CommandResult, bytes: number): Pick<Row, 'ok' | 'seconds' | 'bytes' | 'peakRssMb' | 'note' | 'error'> {
  const row = { ok: done.ok, seconds: done.seconds, bytes, peakRssMb: done.peakRssMb, note: '' };
  return done.error === undefined ? row : { ...row, error: done.error };
}

export async function timedSync(): Promise<number> {
  const started = process.hrtime.bigint();
  await run('sync', []);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function repoSize(repo: string): Promise<number> {
  return existsSync(repo) ? (await diskUsage(repo)).apparent : 0;
}
