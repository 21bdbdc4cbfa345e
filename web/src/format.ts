/** How numbers, times and names read in the console: binary units like the CLI, times in the browser's locale. */
import type { OperationType } from './types.ts';

export const TYPE_NAMES: Record<OperationType, string> = { backup: 'Backup', restore: 'Restore', delete: 'Delete', verify: 'Verification', gc: 'Garbage collection' };

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

/** How long ago `iso` was, to `now`: "20 s ago", "3 min 5 s ago" (a moment ahead of the clock reads "just now"). */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const seconds = (now - Date.parse(iso)) / 1000;
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`;
}
