// What the orchestrator needs from each tool under test (Cairn, restic, borg).
import type { CommandResult } from './measure.ts';

export type DataKind = 'image' | 'volume' | 'files';
export type Phase = 'full' | 'incremental' | 'restore';

/** The JSON object `cairn backup … --json` prints last on stdout. */
export interface CairnReport {
  id: string;
  parent: string | null;
  sourceBytes: number;
  readBytes: number;
  writtenBytes: number;
  durationMs: number;
}

export interface BackupRun {
  result: CommandResult;
  /** What `restore` takes to find this backup: snapshot id, archive name, checkpoint id. */
  ref?: string;
  report?: CairnReport;
}

export interface BenchTool {
  readonly name: string;
  /** How the tool is configured, printed with the results so that the numbers can be reproduced. */
  readonly settings: string;
  version(): Promise<string>;
  init(repo: string): Promise<CommandResult>;
  /** Backs up `srcDir/entry`, run from srcDir so that the stored path is `entry`. */
  backup(repo: string, srcDir: string, entry: string, kind: DataKind, phase: Phase): Promise<BackupRun>;
  /** Restores backup `ref` so that `outDir/entry` is the restored file or tree. */
  restore(repo: string, ref: string, outDir: string, entry: string, kind: DataKind): Promise<CommandResult>;
}

/** Generous: the full-size image must not time out on a slow disk, but a hang must end. */
export const commandTimeoutMs = 3 * 60 * 60 * 1000;
