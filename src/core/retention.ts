/**
 * Retention rules: which checkpoints `cairn prune` (and the server's automatic expiry) keeps.
 *
 * Model (Proxmox Backup Server's prune, plus restic's keep-within):
 * - Candidates are walked newest first (ties: smaller id first), so the result is deterministic
 *   and depends only on the candidates, the rules and the time zone; never on the clock.
 * - Pinned candidates are always kept and take no part in any rule: they fill no keep-last
 *   slot, are not "within", and cover no hour/day/week/month/year.
 * - Rules run in RULE_ORDER. keep-last N keeps the N newest. keep-within D keeps each
 *   checkpoint strictly less than D older than the newest candidate. A period rule with count N
 *   skips periods that already hold a checkpoint kept by an earlier rule, and keeps the newest
 *   checkpoint of each further period until N periods are selected.
 * - Everything not kept is removed. Each kept checkpoint reports the first rule that kept it.
 * Periods are calendar fields in an IANA time zone (default: the process's local zone); weeks
 * are ISO 8601 weeks (Monday first, week-numbering year).
 */
import { CairnError } from './errors.ts';

export interface RetentionRules {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** Milliseconds; see parseDuration. */
  keepWithin?: number;
}

export interface RetentionCandidate {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  pinned?: boolean;
}

export type RetentionReason = 'pinned' | 'last' | 'within' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface RetentionSelection {
  /** Newest first. */
  keep: { id: string; reasons: RetentionReason[] }[];
  /** Ids, newest first. */
  remove: string[];
}

export interface RetentionOptions {
  /** IANA name such as 'UTC' or 'Europe/Berlin'; default the process's local zone. */
  timeZone?: string;
}

const COUNT_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

const RULE_NAMES: Record<keyof RetentionRules, string> = {
  keepLast: 'keep-last', keepWithin: 'keep-within', keepHourly: 'keep-hourly', keepDaily: 'keep-daily',
  keepWeekly: 'keep-weekly', keepMonthly: 'keep-monthly', keepYearly: 'keep-yearly',
};

/**
 * Throws CairnError('bad-input') unless every count is a non-negative integer, keepWithin is a
 * non-negative finite number, and at least one rule is above zero (no rule would remove all).
 */
export function validateRules(rules: RetentionRules): void {
  for (const key of COUNT_RULES) {
    const n = rules[key];
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) {
      throw new CairnError('bad-input', `${RULE_NAMES[key]} must be a whole number of 0 or more, got ${String(n)}`);
    }
  }
  const within = rules.keepWithin;
  if (within !== undefined && !(Number.isFinite(within) && within >= 0)) {
    throw new CairnError('bad-input', `keep-within must be a duration of 0 or more, got ${String(within)}`);
  }
  const anyRule = COUNT_RULES.some((key) => (rules[key] ?? 0) > 0) || (within ?? 0) > 0;
  if (!anyRule) {
    throw new CairnError('bad-input',
      'no retention rule given: prune without a rule would remove every checkpoint; '
      + 'give at least one of keep-last, keep-within, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly above 0');
  }
}

/**
 * Chooses the checkpoints to keep and to remove. Pure and deterministic; validates its input.
 * @example
 *   selectRetention(checkpoints, { keepLast: 3, keepDaily: 7 }, { timeZone: 'UTC' }).remove
 */
export function selectRetention(
  candidates: readonly RetentionCandidate[],
  rules: RetentionRules,
  options: RetentionOptions = {},
): RetentionSelection {
  validateRules(rules);
  validateCandidates(candidates);
  const sorted = [...candidates].sort((a, b) => b.createdAt - a.createdAt || compareIds(a.id, b.id));
  const eligible = sorted.filter((c) => c.pinned !== true);
  const kept = new Map<string, RetentionReason>();
  for (const c of sorted) if (c.pinned === true) kept.set(c.id, 'pinned');

  for (const c of eligible.slice(0, rules.keepLast ?? 0)) kept.set(c.id, 'last');
  const within = rules.keepWithin ?? 0;
  const newest = sorted[0]?.createdAt ?? 0;
  for (const c of eligible) {
    if (!kept.has(c.id) && newest - c.createdAt < within) kept.set(c.id, 'within');
  }

  const periodOf = periodKeys(options.timeZone);
  const periodRules: [PeriodName, number | undefined][] = [
    ['hourly', rules.keepHourly], ['daily', rules.keepDaily], ['weekly', rules.keepWeekly],
    ['monthly', rules.keepMonthly], ['yearly', rules.keepYearly],
  ];
  for (const [reason, count] of periodRules) {
    if (count) keepPeriods(eligible, kept, count, reason, (c) => periodOf(c)[reason]);
  }

  const keep: RetentionSelection['keep'] = [];
  const remove: string[] = [];
  for (const c of sorted) {
    const reason = kept.get(c.id);
    if (reason) keep.push({ id: c.id, reasons: [reason] });
    else remove.push(c.id);
  }
  return { keep, remove };
}

/** Marks the newest unkept checkpoint of up to `count` periods not already covered by `kept`. */
function keepPeriods(
  newestFirst: readonly RetentionCandidate[],
  kept: Map<string, RetentionReason>,
  count: number,
  reason: RetentionReason,
  keyOf: (c: RetentionCandidate) => string,
): void {
  const covered = new Set(newestFirst.filter((c) => kept.has(c.id)).map(keyOf));
  const selected = new Set<string>();
  for (const c of newestFirst) {
    if (kept.has(c.id)) continue;
    const key = keyOf(c);
    if (covered.has(key) || selected.has(key)) continue;
    if (selected.size >= count) break;
    selected.add(key);
    kept.set(c.id, reason);
  }
}

function validateCandidates(candidates: readonly RetentionCandidate[]): void {
  const seen = new Set<string>();
  for (const c of candidates) {
    if (!Number.isFinite(c.createdAt)) {
      throw new CairnError('bad-input', `checkpoint ${c.id} has no valid creation time (${String(c.createdAt)})`);
    }
    if (seen.has(c.id)) throw new CairnError('bad-input', `checkpoint ${c.id} is listed twice`);
    seen.add(c.id);
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type PeriodName = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

/** Returns a memoised function from candidate to its period keys in `timeZone`. */
function periodKeys(timeZone: string | undefined): (c: RetentionCandidate) => Record<PeriodName, string> {
  const format = calendarFormat(timeZone);
  const cache = new Map<string, Record<PeriodName, string>>();
  return (c) => {
    let keys = cache.get(c.id);
    if (!keys) {
      keys = keysOf(calendarFields(format, c.createdAt));
      cache.set(c.id, keys);
    }
    return keys;
  };
}

interface CalendarFields { year: number; month: number; day: number; hour: number }

function calendarFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone, calendar: 'gregory', numberingSystem: 'latn', hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
    });
  } catch (err) {
    throw new CairnError('bad-input',
      `unknown time zone "${String(timeZone)}": use an IANA name such as "UTC" or "Europe/Berlin"`, { cause: err });
  }
}

function calendarFields(format: Intl.DateTimeFormat, ms: number): CalendarFields {
  const fields: CalendarFields = { year: 0, month: 0, day: 0, hour: 0 };
  for (const part of format.formatToParts(ms)) {
    if (part.type === 'year' || part.type === 'month' || part.type === 'day' || part.type === 'hour') {
      fields[part.type] = Number(part.value);
    }
  }
  return fields;
}

function keysOf({ year, month, day, hour }: CalendarFields): Record<PeriodName, string> {
  const ymd = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  const week = isoWeek(year, month, day);
  return {
    hourly: `${ymd}T${pad(hour, 2)}`,
    daily: ymd,
    weekly: `${pad(week.year, 4)}-W${pad(week.week, 2)}`,
    monthly: `${pad(year, 4)}-${pad(month, 2)}`,
    yearly: pad(year, 4),
  };
}

const DAY_MS = 86_400_000;

/** ISO 8601 week of a calendar date: the week (Monday first) and the year its Thursday is in. */
function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1;
  return { year: weekYear, week };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const HOUR_MS = 3_600_000;
const DURATION_UNITS_MS = [365 * DAY_MS, 30 * DAY_MS, 7 * DAY_MS, DAY_MS, HOUR_MS] as const;
const DURATION_FORMS = 'use whole numbers with units y (365 days), m (30 days), w (7 days), d (24 hours), h, '
  + 'largest unit first, e.g. 36h, 7d, 2w, 1y6m, 1w3d12h';

/**
 * Parses a keep-within duration into milliseconds. Calendar-free: y = 365 days, m = 30 days,
 * w = 7 days, d = 24 hours, h = 1 hour; units appear at most once, largest first. Throws
 * CairnError('bad-input') naming the accepted forms.
 * @example parseDuration('1y6m') === 545 * 86_400_000
 */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?$/.exec(text.trim());
  if (!match || text.trim() === '') {
    throw new CairnError('bad-input', `cannot read duration "${text}": ${DURATION_FORMS}`);
  }
  let ms = 0;
  DURATION_UNITS_MS.forEach((unit, i) => {
    const value = match[i + 1];
    if (value !== undefined) ms += Number(value) * unit;
  });
  if (!Number.isSafeInteger(ms)) throw new CairnError('bad-input', `duration "${text}" is too long`);
  if (ms === 0) throw new CairnError('bad-input', `duration "${text}" is zero: ${DURATION_FORMS}`);
  return ms;
}
