// The storage chart's pure rules, on their own: usage rows (per resource and hour, levels as last
// sampled) become the tenant's totals per hour, or per day as the day's last sampled hour (a local
// day); byte ticks fall on round steps of a binary unit and reach past the highest value; date ticks
// on local midnights.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// Days are the browser's: a zone with an offset makes the difference between a UTC and a local day show.
process.env.TZ = 'Europe/Paris';
const { byteTickLabel, byteTicks, dayTicks, usageSeries } = await import('../../web/src/usage-series.ts');

const MiB = 1 << 20;
const row = (resourceId: string, hour: string, storedBytes: number, checkpoints = 1) => ({ resourceId, hour, storedBytes, checkpoints });

test('per hour: the sum over resources of each sampled hour, oldest first', () => {
  const rows = [
    row('web', '2025-03-01T11:00:00.000Z', 3 * MiB, 2),
    row('web', '2025-03-01T10:00:00.000Z', 2 * MiB),
    row('db', '2025-03-01T10:00:00.000Z', 5 * MiB),
    row('db', '2025-03-01T11:00:00.000Z', 5 * MiB),
  ];
  assert.deepEqual(usageSeries(rows, 'hour'), [
    { at: Date.parse('2025-03-01T10:00:00Z'), storedBytes: 7 * MiB, checkpoints: 2 },
    { at: Date.parse('2025-03-01T11:00:00Z'), storedBytes: 8 * MiB, checkpoints: 3 },
  ]);
  assert.deepEqual(usageSeries([], 'hour'), []);
});

test('per day: the last sampled hour of each local day, not a sum of its hours', () => {
  const rows = [
    row('web', '2025-03-01T08:00:00.000Z', 1 * MiB),
    row('web', '2025-03-01T20:00:00.000Z', 2 * MiB),
    row('db', '2025-03-01T20:00:00.000Z', 1 * MiB),
    // 23:00 UTC is midnight in Paris: the next day there.
    row('web', '2025-03-01T23:00:00.000Z', 4 * MiB),
    row('web', '2025-03-02T12:00:00.000Z', 6 * MiB),
  ];
  assert.deepEqual(usageSeries(rows, 'day').map((p) => [new Date(p.at).toISOString(), p.storedBytes / MiB]), [
    ['2025-03-01T20:00:00.000Z', 3],
    ['2025-03-02T12:00:00.000Z', 6],
  ]);
});

test('byte ticks: from 0, at a round step of one binary unit, past the highest value, at most five', () => {
  for (const max of [1, 700, 3000, 900 * 1024, 16 * MiB, 100 * MiB, 1.5 * 1024 * MiB, 3.2 * 1024 ** 4]) {
    const ticks = byteTicks(max);
    assert.equal(ticks[0], 0);
    assert.ok(ticks.at(-1)! >= max, `${max}: ${ticks.join(' ')}`);
    assert.ok(ticks.length >= 2 && ticks.length <= 5, `${max}: ${ticks.join(' ')}`);
    const step = ticks[1]!;
    ticks.forEach((v, i) => assert.equal(v, i * step));
    const unit = 1024 ** Math.floor(Math.log(step) / Math.log(1024) + 1e-9);
    assert.ok(Number.isInteger(step / unit), `${max}: a whole number of a unit: ${step}`);
  }
  assert.deepEqual(byteTicks(16 * MiB), [0, 5, 10, 15, 20].map((n) => n * MiB));
  assert.deepEqual(byteTicks(3000), [0, 1024, 2048, 3072]);
  assert.deepEqual(byteTicks(0), [0, 1024], 'nothing stored yet still has an axis');
});

test('byte tick labels: all in the unit of the step', () => {
  const label = (max: number) => { const ticks = byteTicks(max); return ticks.map((v) => byteTickLabel(v, ticks[1]!)); };
  assert.deepEqual(label(1002), ['0 B', '500 B', '1000 B', '1500 B']);
  assert.deepEqual(label(16 * MiB), ['0 MiB', '5 MiB', '10 MiB', '15 MiB', '20 MiB']);
  assert.deepEqual(label(3000), ['0 KiB', '1 KiB', '2 KiB', '3 KiB']);
  assert.deepEqual(label(0), ['0 KiB', '1 KiB']);
});

test('date ticks: local midnights within the period, every N days', () => {
  const from = Date.parse('2025-03-01T15:00:00Z'), to = Date.parse('2025-03-08T15:00:00Z');
  const ticks = dayTicks(from, to, 1);
  assert.equal(ticks.length, 7);
  for (const t of ticks) {
    const d = new Date(t);
    assert.deepEqual([d.getHours(), d.getMinutes()], [0, 0]);
    assert.ok(t >= from && t <= to);
  }
  assert.equal(new Date(ticks[0]!).toISOString(), '2025-03-01T23:00:00.000Z', 'midnight in Paris');
  assert.deepEqual(dayTicks(from, to, 5).map((t) => new Date(t).getDate()), [2, 7]);
});
