/**
 * What the CLI prints. Results go to stdout (one JSON document with --json), progress and
 * diagnostics to stderr: a redrawn bar on a terminal, JSON lines with --json, nothing otherwise.
 */
import type { Progress, ProgressListener } from '../core/progress.ts';
import { CairnError } from '../core/errors.ts';

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A progress listener for the command's mode; call the returned `done` before printing results. */
export function progressReporter(streams: Streams, json: boolean): { listener: ProgressListener | undefined; done: () => void } {
  if (json) {
    return { listener: (p) => streams.stderr.write(JSON.stringify({ progress: p }) + '\n'), done: () => undefined };
  }
  if (!streams.stderr.isTTY) return { listener: undefined, done: () => undefined };
  let drawn = false;
  return {
    listener: (p: Progress) => {
      drawn = true;
      streams.stderr.write('\r' + renderBar(p, streams.stderr.columns ?? 80) + '\x1b[K');
    },
    done: () => { if (drawn) streams.stderr.write('\n'); },
  };
}

export function renderBar(p: Progress, columns: number): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.doneBytes / p.totalBytes) : 1;
  const text = ` ${(fraction * 100).toFixed(1).padStart(5)}% ${formatBytes(p.doneBytes)}/${formatBytes(p.totalBytes)} ${formatBytes(p.rate)}/s` +
    (p.etaSeconds !== undefined ? ` ETA ${formatDuration(p.etaSeconds)}` : '');
  const width = Math.max(10, Math.min(40, columns - text.length - p.phase.length - 4));
  const filled = Math.round(fraction * width);
  return `${p.phase} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
}

export function printJson(streams: Streams, value: unknown): void {
  streams.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Exit status of an error: 2 for input the user must fix, 3 for damaged data, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof CairnError)) return 1;
  if (err.code === 'corrupt') return 3;
  return ['bad-input', 'not-found', 'not-a-bank', 'bank-exists', 'wrong-key', 'ambiguous', 'format-too-new', 'format-too-old'].includes(err.code) ? 2 : 1;
}
