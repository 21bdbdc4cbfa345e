/**
 * A policy as its form holds it (text fields, as typed) and the body the API takes from it. Empty
 * fields are left out of the body, so the API's defaults apply and its checks speak for what is given.
 */
import { DEFAULT_SCHEDULE, scheduleForm, scheduleText, WEEKDAYS, type ScheduleForm, type Weekday } from './schedule-form.ts';
import type { Policy, Retention, Timing } from './types.ts';

export const COUNT_RULES = [
  ['keepLast', 'Keep last', 'the newest N checkpoints'],
  ['keepHourly', 'Hourly', 'the newest of each of the last N hours'],
  ['keepDaily', 'Daily', 'the newest of each of the last N days'],
  ['keepWeekly', 'Weekly', 'the newest of each of the last N weeks'],
  ['keepMonthly', 'Monthly', 'the newest of each of the last N months'],
  ['keepYearly', 'Yearly', 'the newest of each of the last N years'],
] as const;
export type CountRule = (typeof COUNT_RULES)[number][0];

export interface PolicyDraft {
  name: string;
  description: string;
  schedule: ScheduleForm;
  timeZone: string;
  windowOn: boolean;
  windowStart: string;
  windowEnd: string;
  jitterSeconds: string;
  fullEvery: string;
  /** The days whose first backup is full, in any order (sent Monday first). */
  fullOn: Weekday[];
  counts: Record<CountRule, string>;
  keepWithin: string;
}

const text = (n: number | undefined) => (n === undefined ? '' : String(n));

export function draftOf(p: Policy | undefined): PolicyDraft {
  const r = p?.retention ?? {};
  return {
    name: p?.name ?? '',
    description: p?.description ?? '',
    schedule: p ? scheduleForm(p.schedule) : DEFAULT_SCHEDULE,
    timeZone: p?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    windowOn: p?.timing.window !== undefined,
    windowStart: p?.timing.window?.start ?? '22:00',
    windowEnd: p?.timing.window?.end ?? '06:00',
    jitterSeconds: text(p?.timing.jitterSeconds),
    fullEvery: text(p?.timing.fullEvery),
    fullOn: p?.timing.fullOn ?? [],
    counts: Object.fromEntries(COUNT_RULES.map(([k]) => [k, text(r[k])])) as Record<CountRule, string>,
    keepWithin: r.keepWithin ?? '',
  };
}

export function retentionOf(d: PolicyDraft): Retention {
  const r: Retention = {};
  for (const [k] of COUNT_RULES) if (d.counts[k].trim() !== '') r[k] = Number(d.counts[k]);
  if (d.keepWithin.trim() !== '') r.keepWithin = d.keepWithin.trim();
  return r;
}

export function timingOf(d: PolicyDraft): Timing {
  const t: Timing = {};
  if (d.windowOn) t.window = { start: d.windowStart, end: d.windowEnd };
  if (d.jitterSeconds.trim() !== '') t.jitterSeconds = Number(d.jitterSeconds);
  if (d.fullEvery.trim() !== '') t.fullEvery = Number(d.fullEvery);
  if (d.fullOn.length) t.fullOn = WEEKDAYS.filter((day) => d.fullOn.includes(day));
  return t;
}

/** The body of POST /v1/policies (with tenantId) or PATCH /v1/policies/{id}. */
export function bodyOf(d: PolicyDraft) {
  return {
    name: d.name.trim(), description: d.description, schedule: scheduleText(d.schedule), timeZone: d.timeZone,
    retention: retentionOf(d), timing: timingOf(d),
  };
}
