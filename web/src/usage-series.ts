/**
 * What the dashboard's storage chart draws, from GET /v1/usage: rows per resource and hour, each the
 * checkpoints held and the bytes stored as last sampled in that hour (levels, not amounts added). A
 * point of the tenant's total is the sum over its resources of one hour; over longer periods, one point
 * a day, the day's last sampled hour (where the day ended, not a sum of its hours). And the axes: byte
 * ticks at round binary steps (0, 16 MiB, 32 MiB…), date ticks at local midnights.
 */
import type { UsageRecord } from './types.ts';

/** One row of GET /v1/usage, as much of it as the chart reads. */
export type UsageRow = Pick<UsageRecord, 'resourceId' | 'hour' | 'checkpoints' | 'storedBytes'>;

export interface UsagePoint {
  /** The sampled hour (epoch ms); for a daily point, the day's last sampled hour. */
  at: number;
  storedBytes: number;
  checkpoints: number;
}

export type Bucket = 'hour' | 'day';

export const PERIODS = [7, 30, 90] as const;
export type PeriodDays = (typeof PERIODS)[number];

/** A week shows every hour; a month or a quarter, a point a day. */
export const bucketOf = (days: PeriodDays): Bucket => (days <= 7 ? 'hour' : 'day');

/** The tenant's totals, oldest first: one point per sampled hour, or per day (the day's last sampled hour, in the browser's time zone). */
export function usageSeries(rows: UsageRow[], bucket: Bucket): UsagePoint[] {
  const hours = new Map<number, UsagePoint>();
  for (const r of rows) {
    const at = Date.parse(r.hour);
    const p = hours.get(at) ?? { at, storedBytes: 0, checkpoints: 0 };
    p.storedBytes += r.storedBytes;
    p.checkpoints += r.checkpoints;
    hours.set(at, p);
  }
  const hourly = [...hours.values()].sort((a, b) => a.at - b.at);
  if (bucket === 'hour') return hourly;
  const days = new Map<number, UsagePoint>();
  for (const p of hourly) days.set(startOfDay(p.at), p); // later hours replace earlier ones of the same day
  return [...days.values()];
}

export function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const KIB = 1024;
const STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500];

/**
 * Ticks for bytes from 0 to at least `max`: at most `most` + 1 of them, at a round step of a binary
 * unit (B, KiB, MiB…), so that each label reads as a whole number of that unit.
 */
export function byteTicks(max: number, most = 4): number[] {
  if (!(max > 0)) return [0, KIB];
  let unit = 1;
  while (max / unit >= KIB) unit *= KIB;
  const step = (STEPS.find((s) => Math.ceil(max / (s * unit)) <= most) ?? KIB) * unit;
  const count = Math.max(1, Math.ceil(max / step));
  return Array.from({ length: count + 1 }, (_, i) => i * step);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte tick's label in the unit of the ticks' step, so that all read alike: "1000 B, 1500 B", not "1000 B, 1.5 KiB". */
export function byteTickLabel(value: number, step: number): string {
  let u = 0;
  while (step >= KIB ** (u + 1) && u < UNITS.length - 1) u += 1;
  const v = value / KIB ** u;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${UNITS[u]}`;
}

/** Local midnights within [from, to], every `everyDays` days counted from the first. */
export function dayTicks(from: number, to: number, everyDays: number): number[] {
  const ticks: number[] = [];
  const d = new Date(startOfDay(from));
  if (d.getTime() < from) d.setDate(d.getDate() + 1);
  while (d.getTime() <= to) {
    ticks.push(d.getTime());
    d.setDate(d.getDate() + everyDays);
  }
  return ticks;
}

/** How far apart the date ticks of a period are, so that about seven fit. */
export const tickDaysOf = (days: PeriodDays): number => (days <= 7 ? 1 : days <= 30 ? 5 : 14);
