/**
 * When a policy backs up: a cron expression (five fields) or a calendar form people write —
 * "hourly at :15", "daily at 02:30", "weekly on mon,thu at 03:00", "monthly on day 1 at 04:00"
 * ("day last" for the month's last day) — evaluated in an IANA time zone; a backup window (ticks
 * outside it do not start); jitter; and when a backup is full instead of incremental.
 */
import { CronExpressionParser } from 'cron-parser';
import { CairnError } from './errors.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = typeof WEEKDAYS[number];

export interface Timing {
  /** Local times HH:MM; a window may cross midnight (22:00–06:00). */
  window?: { start: string; end: string };
  /** A tick starts its backup up to this many seconds late, at random: many plans on one tick spread out. */
  jitterSeconds?: number;
  /** A full backup when the resource's chain (its newest full and the incrementals on it) holds this many. */
  fullEvery?: number;
  /** The first backup of these days (local) is full. */
  fullOn?: Weekday[];
}

const FORMS = 'a cron expression (five fields, e.g. "30 2 * * *") or hourly at :MM, daily at HH:MM, weekly on mon,thu at HH:MM, monthly on day D at HH:MM';

function clock(text: string, what: string): { h: number; m: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const h = m ? Number(m[1]) : NaN, min = m ? Number(m[2]) : NaN;
  if (!(h >= 0 && h <= 23 && min >= 0 && min <= 59)) throw new CairnError('bad-input', `${what} ${text}: give a time as HH:MM, 00:00 to 23:59`);
  return { h, m: min };
}

/** The cron expression of a schedule as users write it; throws bad-input naming the forms. */
export function cronOf(schedule: string): string {
  const s = schedule.trim().toLowerCase().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  if ((m = /^hourly(?: at :(\d{2}))?$/.exec(s))) {
    const minute = Number(m[1] ?? 0);
    if (minute > 59) throw new CairnError('bad-input', `schedule "${schedule}": the minute is 00 to 59`);
    return `${minute} * * * *`;
  }
  if ((m = /^daily at (\S+)$/.exec(s))) {
    const t = clock(m[1]!, `schedule "${schedule}":`);
    return `${t.m} ${t.h} * * *`;
  }
  if ((m = /^weekly on ([a-z,]+) at (\S+)$/.exec(s))) {
    const days = m[1]!.split(',').map((d) => {
      const i = WEEKDAYS.indexOf(d.slice(0, 3) as Weekday);
      if (i < 0 || !'sunday monday tuesday wednesday thursday friday saturday'.split(' ')[i]!.startsWith(d)) throw new CairnError('bad-input', `schedule "${schedule}": ${d} is not a day (mon, tue, ... sun)`);
      return i;
    });
    const t = clock(m[2]!, `schedule "${schedule}":`);
    return `${t.m} ${t.h} * * ${[...new Set(days)].sort().join(',')}`;
  }
  if ((m = /^monthly on day (\d{1,2}|last) at (\S+)$/.exec(s))) {
    const day = m[1] === 'last' ? 'L' : Number(m[1]);
    if (typeof day === 'number' && !(day >= 1 && day <= 31)) throw new CairnError('bad-input', `schedule "${schedule}": the day of the month is 1 to 31, or last`);
    const t = clock(m[2]!, `schedule "${schedule}":`);
    return `${t.m} ${t.h} ${day} * *`;
  }
  if (s.split(' ').length !== 5) throw new CairnError('bad-input', `schedule "${schedule}" is not ${FORMS}`);
  try {
    CronExpressionParser.parse(s, { strict: false });
  } catch (err) {
    throw new CairnError('bad-input', `schedule "${schedule}" is not a valid cron expression (${(err as Error).message}); give ${FORMS}`);
  }
  return s;
}

export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new CairnError('bad-input', `time zone ${timeZone} is not an IANA time zone (Europe/Paris, UTC, ...)`);
  }
}

/** The next `count` ticks of a schedule after `from`, in its time zone. */
export function nextRuns(schedule: string, timeZone: string, count: number, from = new Date()): Date[] {
  const it = CronExpressionParser.parse(cronOf(schedule), { tz: timeZone, currentDate: from });
  return it.take(count).map((d) => d.toDate());
}

/** The local weekday, minutes since midnight and date (YYYY-MM-DD) of an instant in a time zone. */
export function localTime(at: Date, timeZone: string): { weekday: Weekday; minutes: number; date: string } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((p) => [p.type, p.value]));
  return {
    weekday: parts.weekday!.toLowerCase() as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** Whether an instant falls in a daily window of local times (the end excluded); no window: always. */
export function inWindow(at: Date, window: Timing['window'], timeZone: string): boolean {
  if (!window) return true;
  const s = clock(window.start, 'window start'), e = clock(window.end, 'window end');
  const start = s.h * 60 + s.m, end = e.h * 60 + e.m, now = localTime(at, timeZone).minutes;
  return start <= end ? now >= start && now < end : now >= start || now < end;
}

/** Checks a timing, throwing bad-input that names what to fix. */
export function checkTiming(t: Timing): void {
  if (t.window) {
    clock(t.window.start, 'window start');
    clock(t.window.end, 'window end');
    if (t.window.start === t.window.end) throw new CairnError('bad-input', 'a backup window that starts when it ends is empty: leave the window out to allow any time');
  }
  if (t.jitterSeconds !== undefined && !(Number.isInteger(t.jitterSeconds) && t.jitterSeconds >= 0 && t.jitterSeconds <= 86_400)) {
    throw new CairnError('bad-input', `jitterSeconds ${t.jitterSeconds}: give whole seconds, 0 to 86400`);
  }
  if (t.fullEvery !== undefined && !(Number.isInteger(t.fullEvery) && t.fullEvery >= 1)) throw new CairnError('bad-input', `fullEvery ${t.fullEvery}: give a whole number of backups, 1 or more (1: always full)`);
  for (const d of t.fullOn ?? []) if (!WEEKDAYS.includes(d)) throw new CairnError('bad-input', `fullOn ${d}: give days as sun, mon, tue, wed, thu, fri, sat`);
}

/**
 * The recovery point objective a schedule implies when a plan sets none: the longest gap between two
 * of its next ticks, half again for the backup to run and a tick to be late, plus the jitter.
 */
export function defaultRpoSeconds(schedule: string, timeZone: string, timing: Timing, from = new Date()): number {
  const runs = nextRuns(schedule, timeZone, 10, from).map((d) => d.getTime());
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]! - runs[i - 1]!);
  return Math.ceil((gap * 1.5) / 1000) + (timing.jitterSeconds ?? 0);
}

/**
 * The latest tick of a schedule in (after, until], or undefined: ticks missed while no node ran
 * collapse into one run, as a backup is about the newest state, not about each missed minute.
 */
export function lastTickIn(cron: string, timeZone: string, after: Date, until: Date): Date | undefined {
  // prev() answers the tick strictly before currentDate: a tick at `until` itself counts.
  const tick = CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(until.getTime() + 1) }).prev().toDate();
  return tick > after ? tick : undefined;
}
