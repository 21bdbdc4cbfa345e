// The printed results: one row per tool and phase, with ratios to restic for the same data and
// phase (restic is the reference because it is the most used peer; virtnbdbackup for a libvirt domain). MB = 10^6 bytes. Times are
// compared twice: as the command's wall time, and with the sync after it, because a restore that
// returns before its data is written back (restic's) is not finished, and one that fsyncs (Cairn's) pays inside its time.
import type { Row } from './scenario.ts';

const headers = ['data', 'tool', 'phase', 'time s', '+sync s', 'MB/s', 'peak RSS MB', 'repo MB after', 'added MB', 'time/ref', '+sync/ref', 'repo/ref', 'note'];

/** The tool each row is compared with: restic, or virtnbdbackup for a libvirt domain (restic cannot back one up). */
function referenceTool(data: string): string {
  return data === 'domain' ? 'virtnbdbackup' : 'restic';
}

export function formatTable(rows: Row[]): string {
  const cells = rows.map((row) => {
    const restic = rows.find((other) => other.tool === referenceTool(row.data) && other.data === row.data && other.phase === row.phase);
    return [
      row.data, row.tool, row.phase,
      fixed(row.seconds, 1),
      fixed(row.syncSeconds, 1),
      row.ok && row.seconds ? fixed(row.bytes / 1e6 / row.seconds, 0) : '',
      fixed(row.peakRssMb ?? undefined, 0),
      fixed(mb(row.repoBytes), 1),
      fixed(mb(row.addedBytes), 1),
      ratio(row.ok, row.seconds, restic?.ok, restic?.seconds),
      ratio(row.ok, durable(row), restic?.ok, restic && durable(restic)),
      ratio(row.ok, row.repoBytes, restic?.ok, restic?.repoBytes),
      row.error === undefined ? row.note : `FAILED: ${row.error.slice(0, 70)}`,
    ];
  });
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: string[]): string =>
    values.map((value, i) => (i < 3 || i === values.length - 1 ? value.padEnd(widths[i] ?? 0) : value.padStart(widths[i] ?? 0))).join(' | ').trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('-|-'), ...cells.map(line)].join('\n');
}

function ratio(ok: boolean, value: number | undefined, referenceOk: boolean | undefined, reference: number | undefined): string {
  if (!ok || !referenceOk || value === undefined || !reference) return '';
  return `${(value / reference).toFixed(2)}x`;
}

/** Until the work is on disk: the command and the write-back it left behind. */
function durable(row: Row): number | undefined {
  return row.seconds === undefined ? undefined : row.seconds + (row.syncSeconds ?? 0);
}

function mb(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 1e6;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? '' : value.toFixed(digits);
}
