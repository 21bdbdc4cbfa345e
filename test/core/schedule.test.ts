// Schedules as users write them, their next runs in a time zone, and backup windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTiming, cronOf, inWindow, localTime, nextRuns } from '../../src/core/schedule.ts';

test('calendar forms become cron expressions; bad ones say which forms exist', () => {
  assert.equal(cronOf('hourly at :15'), '15 * * * *');
  assert.equal(cronOf('hourly'), '0 * * * *');
  assert.equal(cronOf('Daily at 2:30'), '30 2 * * *');
  assert.equal(cronOf('weekly on thu,mon at 03:00'), '0 3 * * 1,4');
  assert.equal(cronOf('weekly on Sunday at 23:59'), '59 23 * * 0');
  assert.equal(cronOf('monthly on day last at 04:00'), '0 4 L * *');
  assert.equal(cronOf('*/10 * * * *'), '*/10 * * * *');
  assert.throws(() => cronOf('at two'), /not a cron expression \(five fields.*daily at HH:MM/);
  assert.throws(() => cronOf('daily at 25:00'), /HH:MM, 00:00 to 23:59/);
  assert.throws(() => cronOf('weekly on funday at 01:00'), /funday is not a day/);
  assert.throws(() => cronOf('61 * * * *'), /not a valid cron expression/);
  assert.throws(() => cronOf('monthly on day 32 at 01:00'), /1 to 31, or last/);
});

test('next runs follow the time zone, across a daylight-saving change', () => {
  const from = new Date('2026-03-28T12:00:00Z'); // Paris moves to summer time on 29 March 2026
  const runs = nextRuns('daily at 02:30', 'Europe/Paris', 3, from).map((d) => d.toISOString());
  // 02:30 does not exist on 29 March in Paris: that day's tick comes at 03:30 summer time, once.
  assert.deepEqual(runs, ['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  assert.deepEqual(nextRuns('hourly at :05', 'UTC', 2, new Date('2026-12-01T10:06:00Z')).map((d) => d.toISOString()), ['2026-12-01T11:05:00.000Z', '2026-12-01T12:05:00.000Z']);
});

test('backup windows, including ones across midnight, in local time', () => {
  const at = (iso: string) => new Date(iso);
  assert.equal(inWindow(at('2026-12-01T23:30:00Z'), { start: '22:00', end: '06:00' }, 'UTC'), true);
  assert.equal(inWindow(at('2026-12-01T05:59:00Z'), { start: '22:00', end: '06:00' }, 'UTC'), true);
  assert.equal(inWindow(at('2026-12-01T06:00:00Z'), { start: '22:00', end: '06:00' }, 'UTC'), false);
  assert.equal(inWindow(at('2026-12-01T12:00:00Z'), { start: '09:00', end: '17:00' }, 'America/New_York'), false, '12:00 UTC is 07:00 in New York');
  assert.equal(inWindow(at('2026-12-01T15:00:00Z'), { start: '09:00', end: '17:00' }, 'America/New_York'), true);
  assert.equal(inWindow(at('2026-12-01T12:00:00Z'), undefined, 'UTC'), true);
  assert.deepEqual(localTime(at('2026-12-01T23:30:00Z'), 'Asia/Tokyo'), { weekday: 'wed', minutes: 8 * 60 + 30, date: '2026-12-02' });
  assert.throws(() => checkTiming({ window: { start: '10:00', end: '10:00' } }), /empty/);
  assert.throws(() => checkTiming({ fullOn: ['sunday' as 'sun'] }), /sun, mon/);
  assert.throws(() => checkTiming({ fullEvery: 0 }), /1 or more/);
});
