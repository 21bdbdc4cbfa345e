// Retention rules, case by case. Each case lists checkpoints as [id, time] (newest first, for the
// reader; selectRetention sorts itself) and the expected kept ids with the rule that kept them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, selectRetention, validateRules } from '../../src/core/retention.ts';
import type { RetentionCandidate, RetentionReason, RetentionRules } from '../../src/core/retention.ts';
import { isCairnError } from '../../src/core/errors.ts';

interface Case {
  name: string;
  rules: RetentionRules;
  timeZone?: string;
  /** [id, ISO time, pinned?] */
  checkpoints: [string, string, 'pinned'?][];
  /** id → reason, newest first. */
  keep: Record<string, RetentionReason>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const cases: Case[] = [
  {
    name: 'keep-last keeps the N newest',
    rules: { keepLast: 3 },
    checkpoints: [['e', '2024-05-05T10:00Z'], ['d', '2024-05-04T10:00Z'], ['c', '2024-05-03T10:00Z'],
      ['b', '2024-05-02T10:00Z'], ['a', '2024-05-01T10:00Z']],
    keep: { e: 'last', d: 'last', c: 'last' },
  },
  {
    name: 'keep-last with fewer checkpoints than N keeps them all',
    rules: { keepLast: 10 },
    checkpoints: [['b', '2024-05-02T10:00Z'], ['a', '2024-05-01T10:00Z']],
    keep: { b: 'last', a: 'last' },
  },
  {
    name: 'keep-hourly keeps the newest of each hour',
    rules: { keepHourly: 2 },
    checkpoints: [['h12', '2024-05-01T12:00Z'], ['h1159', '2024-05-01T11:59Z'], ['h1100', '2024-05-01T11:00Z'],
      ['h1055', '2024-05-01T10:55Z'], ['h1005', '2024-05-01T10:05Z']],
    keep: { h12: 'hourly', h1159: 'hourly' },
  },
  {
    name: 'keep-daily keeps the newest of each day',
    rules: { keepDaily: 3 },
    checkpoints: [['d4b', '2024-05-04T23:00Z'], ['d4a', '2024-05-04T01:00Z'], ['d3', '2024-05-03T12:00Z'],
      ['d2b', '2024-05-02T18:00Z'], ['d2a', '2024-05-02T09:00Z'], ['d1b', '2024-05-01T20:00Z'],
      ['d1a', '2024-05-01T08:00Z']],
    keep: { d4b: 'daily', d3: 'daily', d2b: 'daily' },
  },
  {
    name: 'keep-daily counts days that have checkpoints, not calendar days',
    rules: { keepDaily: 2 },
    checkpoints: [['may10', '2024-05-10T12:00Z'], ['may03', '2024-05-03T12:00Z'], ['apr20', '2024-04-20T12:00Z']],
    keep: { may10: 'daily', may03: 'daily' },
  },
  {
    // keep-last keeps e and d, both on May 4: that day is covered, so daily skips d0 (also May 4)
    // and keeps two OTHER days, May 3 and May 2.
    name: 'a period already covered by an earlier rule does not count',
    rules: { keepLast: 2, keepDaily: 2 },
    checkpoints: [['e', '2024-05-04T20:00Z'], ['d', '2024-05-04T08:00Z'], ['d0', '2024-05-04T02:00Z'],
      ['c', '2024-05-03T12:00Z'], ['b', '2024-05-02T12:00Z'], ['a', '2024-05-01T12:00Z']],
    keep: { e: 'last', d: 'last', c: 'daily', b: 'daily' },
  },
  {
    // ISO weeks: 2024-12-23..29 is 2024-W52; 2024-12-30..2025-01-05 is 2025-W01; 2025-01-06 starts W02.
    name: 'keep-weekly uses ISO weeks across a year end (2024-12-30 is in 2025-W01)',
    rules: { keepWeekly: 3 },
    checkpoints: [['jan06', '2025-01-06T12:00Z'], ['jan05', '2025-01-05T12:00Z'], ['dec30', '2024-12-30T12:00Z'],
      ['dec29', '2024-12-29T12:00Z'], ['dec23', '2024-12-23T12:00Z'], ['dec22', '2024-12-22T12:00Z']],
    keep: { jan06: 'weekly', jan05: 'weekly', dec29: 'weekly' },
  },
  {
    // 2020-12-28 (Mon) .. 2021-01-03 (Sun) is 2020-W53; 2021-01-04 (Mon) is 2021-W01.
    name: 'keep-weekly: 2021-01-03 belongs to 2020-W53',
    rules: { keepWeekly: 2 },
    checkpoints: [['jan04', '2021-01-04T12:00Z'], ['jan03', '2021-01-03T12:00Z'], ['dec28', '2020-12-28T12:00Z'],
      ['dec27', '2020-12-27T12:00Z']],
    keep: { jan04: 'weekly', jan03: 'weekly' },
  },
  {
    name: 'keep-monthly keeps the newest of each month',
    rules: { keepMonthly: 3 },
    checkpoints: [['apr30', '2024-04-30T12:00Z'], ['mar01', '2024-03-01T12:00Z'], ['feb29', '2024-02-29T12:00Z'],
      ['feb10', '2024-02-10T12:00Z'], ['jan31', '2024-01-31T12:00Z'], ['jan15', '2024-01-15T12:00Z']],
    keep: { apr30: 'monthly', mar01: 'monthly', feb29: 'monthly' },
  },
  {
    name: 'keep-yearly keeps the newest of each year',
    rules: { keepYearly: 2 },
    checkpoints: [['y24', '2024-02-01T12:00Z'], ['y23b', '2023-07-01T12:00Z'], ['y23a', '2023-01-01T00:00Z'],
      ['y22b', '2022-12-31T23:00Z'], ['y22a', '2022-06-01T12:00Z']],
    keep: { y24: 'yearly', y23b: 'yearly' },
  },
  {
    // Within 2 days of the NEWEST (May 10 12:00), strictly: May 8 12:00 is exactly 2 days older.
    name: 'keep-within keeps everything younger than D relative to the newest checkpoint',
    rules: { keepWithin: 2 * DAY },
    checkpoints: [['n', '2024-05-10T12:00Z'], ['m', '2024-05-09T12:00Z'], ['l', '2024-05-08T12:00:01Z'],
      ['k', '2024-05-08T12:00Z'], ['j', '2024-05-01T12:00Z']],
    keep: { n: 'within', m: 'within', l: 'within' },
  },
  {
    // The bank stopped receiving backups in 2019; keep-within still keeps its last two days.
    name: 'keep-within does not depend on the current time',
    rules: { keepWithin: parseDuration('2d') },
    checkpoints: [['b', '2019-03-02T00:00Z'], ['a', '2019-03-01T00:00Z'], ['old', '2019-01-01T00:00Z']],
    keep: { b: 'within', a: 'within' },
  },
  {
    name: 'pinned checkpoints are kept and fill no keep-last slot',
    rules: { keepLast: 2 },
    checkpoints: [['e', '2024-05-05T10:00Z', 'pinned'], ['d', '2024-05-04T10:00Z'], ['c', '2024-05-03T10:00Z'],
      ['b', '2024-05-02T10:00Z', 'pinned'], ['a', '2024-05-01T10:00Z']],
    keep: { e: 'pinned', d: 'last', c: 'last', b: 'pinned' },
  },
  {
    // p is pinned; it does not cover May 2, so daily still keeps q for that day.
    name: 'a pinned checkpoint does not cover its period',
    rules: { keepDaily: 1 },
    checkpoints: [['p', '2024-05-02T20:00Z', 'pinned'], ['q', '2024-05-02T10:00Z'], ['r', '2024-05-01T10:00Z']],
    keep: { p: 'pinned', q: 'daily' },
  },
  {
    // last: n1. daily: Jun 12 covered → n3 (Jun 11), n4 (Jun 10). weekly: W24 covered → n5 (W23),
    // n7 (W22). monthly: June covered → n8 (May), n10 (April).
    name: 'combination of last, daily, weekly and monthly',
    rules: { keepLast: 1, keepDaily: 2, keepWeekly: 2, keepMonthly: 2 },
    checkpoints: [
      ['n1', '2024-06-12T18:00Z'], ['n2', '2024-06-12T06:00Z'], ['n3', '2024-06-11T12:00Z'],
      ['n4', '2024-06-10T12:00Z'], ['n5', '2024-06-09T12:00Z'], ['n6', '2024-06-05T12:00Z'],
      ['n7', '2024-06-02T12:00Z'], ['n8', '2024-05-29T12:00Z'], ['n9', '2024-05-15T12:00Z'],
      ['n10', '2024-04-20T12:00Z'], ['n11', '2024-03-10T12:00Z'],
    ],
    keep: { n1: 'last', n3: 'daily', n4: 'daily', n5: 'weekly', n7: 'weekly', n8: 'monthly', n10: 'monthly' },
  },
  {
    // last: a. within 1 day of a (May 10 20:00): b (12 h), c (22 h). daily: May 10 and 9 are covered → e, f.
    name: 'checkpoints kept by keep-within cover their periods',
    rules: { keepLast: 1, keepWithin: DAY, keepDaily: 2 },
    checkpoints: [['a', '2024-05-10T20:00Z'], ['b', '2024-05-10T08:00Z'], ['c', '2024-05-09T22:00Z'],
      ['d', '2024-05-09T10:00Z'], ['e', '2024-05-08T12:00Z'], ['f', '2024-05-07T12:00Z'], ['g', '2024-05-06T12:00Z']],
    keep: { a: 'last', b: 'within', c: 'within', e: 'daily', f: 'daily' },
  },
  {
    // Berlin switches to summer time on 2024-03-31 at 01:00Z. Local days: s1 Apr 1 00:30 CEST;
    // s2 Mar 31 23:30 CEST; s3 Mar 31 01:30 CET; s4 Mar 31 00:30 CET; s5 Mar 30 23:30 CET.
    name: 'keep-daily in Europe/Berlin across the spring DST change',
    rules: { keepDaily: 3 },
    timeZone: 'Europe/Berlin',
    checkpoints: [['s1', '2024-03-31T22:30Z'], ['s2', '2024-03-31T21:30Z'], ['s3', '2024-03-31T00:30Z'],
      ['s4', '2024-03-30T23:30Z'], ['s5', '2024-03-30T22:30Z']],
    keep: { s1: 'daily', s2: 'daily', s5: 'daily' },
  },
  {
    // The same checkpoints in UTC: s1..s3 are on Mar 31, s4 and s5 on Mar 30: only two days.
    name: 'the same checkpoints in UTC fall on other days',
    rules: { keepDaily: 3 },
    checkpoints: [['s1', '2024-03-31T22:30Z'], ['s2', '2024-03-31T21:30Z'], ['s3', '2024-03-31T00:30Z'],
      ['s4', '2024-03-30T23:30Z'], ['s5', '2024-03-30T22:30Z']],
    keep: { s1: 'daily', s4: 'daily' },
  },
  {
    // Berlin goes back to winter time on 2024-10-27 at 01:00Z: local 02:00-03:00 happens twice.
    // h2 (02:30 CET) and h3 (02:30 CEST) share the local hour 02, so hourly keeps only h2.
    name: 'keep-hourly in Europe/Berlin: the repeated hour at the autumn DST change is one hour',
    rules: { keepHourly: 3 },
    timeZone: 'Europe/Berlin',
    checkpoints: [['h1', '2024-10-27T02:10Z'], ['h2', '2024-10-27T01:30Z'], ['h3', '2024-10-27T00:30Z'],
      ['h4', '2024-10-26T23:30Z']],
    keep: { h1: 'hourly', h2: 'hourly', h4: 'hourly' },
  },
  {
    name: 'checkpoints with the same time are ordered by id',
    rules: { keepLast: 1 },
    checkpoints: [['b', '2024-05-01T10:00Z'], ['a', '2024-05-01T10:00Z']],
    keep: { a: 'last' },
  },
];

function candidatesOf(c: Case): RetentionCandidate[] {
  return c.checkpoints.map(([id, iso, pinned]) => ({ id, createdAt: Date.parse(iso), pinned: pinned === 'pinned' }));
}

for (const c of cases) {
  test(c.name, () => {
    const candidates = candidatesOf(c);
    const expectedKeep = Object.entries(c.keep).map(([id, reason]) => ({ id, reasons: [reason] }));
    const expectedRemove = c.checkpoints.map(([id]) => id).filter((id) => !(id in c.keep));
    const timeZone = c.timeZone ?? 'UTC';
    const result = selectRetention(candidates, c.rules, { timeZone });
    assert.deepEqual(result, { keep: expectedKeep, remove: expectedRemove });
    // Input order does not matter.
    assert.deepEqual(selectRetention([...candidates].reverse(), c.rules, { timeZone }), result);
  });
}

test('without a time zone the process local zone is used', () => {
  const candidates = candidatesOf(cases.find((c) => c.name.includes('spring DST'))!);
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  assert.deepEqual(selectRetention(candidates, { keepDaily: 3 }), selectRetention(candidates, { keepDaily: 3 }, { timeZone: local }));
});

test('selectRetention does not modify its input', () => {
  const candidates = candidatesOf(cases[0]!);
  const copy = structuredClone(candidates);
  selectRetention(candidates, { keepLast: 1 }, { timeZone: 'UTC' });
  assert.deepEqual(candidates, copy);
});

const badRules: [string, RetentionRules, RegExp][] = [
  ['no rule', {}, /no retention rule given/],
  ['only zeros', { keepLast: 0, keepDaily: 0, keepWithin: 0 }, /no retention rule given/],
  ['negative count', { keepLast: -1 }, /keep-last must be a whole number of 0 or more, got -1/],
  ['fractional count', { keepDaily: 1.5 }, /keep-daily must be a whole number/],
  ['NaN count', { keepWeekly: NaN }, /keep-weekly must be a whole number/],
  ['infinite count', { keepYearly: Infinity }, /keep-yearly must be a whole number/],
  ['negative keep-within', { keepLast: 1, keepWithin: -DAY }, /keep-within must be a duration of 0 or more/],
];

for (const [name, rules, message] of badRules) {
  test(`validateRules refuses ${name}`, () => {
    assert.throws(() => validateRules(rules), (err) => isCairnError(err, 'bad-input') && message.test(err.message));
    assert.throws(() => selectRetention([], rules), (err) => isCairnError(err, 'bad-input'));
  });
}

test('validateRules accepts any rule above zero', () => {
  validateRules({ keepLast: 1 });
  validateRules({ keepWithin: HOUR });
  validateRules({ keepLast: 0, keepYearly: 1 });
});

test('selectRetention refuses bad candidates and unknown time zones', () => {
  const ok = { id: 'a', createdAt: Date.parse('2024-05-01T00:00Z') };
  assert.throws(() => selectRetention([ok, { ...ok }], { keepLast: 1 }),
    (err) => isCairnError(err, 'bad-input') && /listed twice/.test(err.message));
  assert.throws(() => selectRetention([{ id: 'b', createdAt: NaN }], { keepLast: 1 }),
    (err) => isCairnError(err, 'bad-input') && /no valid creation time/.test(err.message));
  assert.throws(() => selectRetention([ok], { keepDaily: 1 }, { timeZone: 'Mars/Olympus' }),
    (err) => isCairnError(err, 'bad-input') && /unknown time zone "Mars\/Olympus"/.test(err.message));
});

test('no candidates: nothing to keep or remove', () => {
  assert.deepEqual(selectRetention([], { keepLast: 3, keepWithin: DAY }, { timeZone: 'UTC' }), { keep: [], remove: [] });
});

const durations: [string, number][] = [
  ['36h', 36 * HOUR],
  ['7d', 7 * DAY],
  ['2w', 14 * DAY],
  ['1m', 30 * DAY],
  ['1y', 365 * DAY],
  ['1y6m', 545 * DAY],
  ['1w3d12h', 10 * DAY + 12 * HOUR],
  ['0d1h', HOUR],
  [' 7d ', 7 * DAY],
];

for (const [text, ms] of durations) {
  test(`parseDuration('${text}') is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
}

const badDurations = ['', '7', 'd', '7x', '1.5d', '-1d', '7D', '7 d', '6m1y', '1d1d', '30min', '0d', '0y0h',
  '99999999999999y'];

for (const text of badDurations) {
  test(`parseDuration refuses '${text}'`, () => {
    assert.throws(() => parseDuration(text), (err) => isCairnError(err, 'bad-input') && err.message.includes(`"${text}"`));
  });
}

test('parseDuration names the accepted forms', () => {
  assert.throws(() => parseDuration('a week'), (err) => isCairnError(err, 'bad-input') && /36h, 7d, 2w, 1y6m/.test(err.message));
});
