/**
 * The schedule builder's state and the policy `schedule` text it stands for, both ways: the calendar
 * forms the API reads (src/core/schedule.ts: hourly at :MM, daily at HH:MM, weekly on mon,thu at HH:MM,
 * monthly on day D at HH:MM), a raw cron expression, or none (manual backups only). Text the calendar
 * forms do not match opens as cron, so nothing a saved policy holds is lost by editing it.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const SCHEDULE_KINDS = ['manual', 'hourly', 'daily', 'weekly', 'monthly', 'cron'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export interface ScheduleForm {
  kind: ScheduleKind;
  /** hourly: the minute, 0 to 59. */
  minute: string;
  /** daily, weekly, monthly: the local time HH:MM. */
  time: string;
  days: Weekday[];
  /** monthly: 1 to 31, or "last". */
  dayOfMonth: string;
  cron: string;
}

export const DEFAULT_SCHEDULE: ScheduleForm = { kind: 'daily', minute: '0', time: '02:00', days: ['mon'], dayOfMonth: '1', cron: '0 2 * * *' };

const pad = (n: string) => n.padStart(2, '0');

/** The policy's schedule text; null for manual. */
export function scheduleText(f: ScheduleForm): string | null {
  switch (f.kind) {
    case 'manual': return null;
    case 'hourly': return `hourly at :${pad(f.minute)}`;
    case 'daily': return `daily at ${f.time}`;
    case 'weekly': return `weekly on ${WEEKDAYS.filter((d) => f.days.includes(d)).join(',')} at ${f.time}`;
    case 'monthly': return `monthly on day ${f.dayOfMonth} at ${f.time}`;
    case 'cron': return f.cron.trim();
  }
}

export function scheduleForm(schedule: string | null): ScheduleForm {
  if (schedule === null) return { ...DEFAULT_SCHEDULE, kind: 'manual' };
  const s = schedule.trim().toLowerCase().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  if ((m = /^hourly(?: at :(\d{2}))?$/.exec(s))) return { ...DEFAULT_SCHEDULE, kind: 'hourly', minute: String(Number(m[1] ?? 0)) };
  if ((m = /^daily at (\d{2}:\d{2})$/.exec(s))) return { ...DEFAULT_SCHEDULE, kind: 'daily', time: m[1]! };
  if ((m = /^weekly on ((?:mon|tue|wed|thu|fri|sat|sun)(?:,(?:mon|tue|wed|thu|fri|sat|sun))*) at (\d{2}:\d{2})$/.exec(s))) {
    return { ...DEFAULT_SCHEDULE, kind: 'weekly', days: m[1]!.split(',') as Weekday[], time: m[2]! };
  }
  if ((m = /^monthly on day (\d{1,2}|last) at (\d{2}:\d{2})$/.exec(s))) return { ...DEFAULT_SCHEDULE, kind: 'monthly', dayOfMonth: m[1]!, time: m[2]! };
  return { ...DEFAULT_SCHEDULE, kind: 'cron', cron: schedule };
}
