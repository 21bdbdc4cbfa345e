// The usage report's sums on their own: a sample is a level, so a period's figure for a resource is its
// latest sample and a tenant's the sum of its resources' latest; by day, each resource's last of that day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latestPerResource, perDay, perTenant, periodQuery } from '../../web/src/usage-report.ts';
import type { UsageRecord } from '../../web/src/types.ts';

const record = (hour: string, tenantId: string, resourceId: string, checkpoints: number, storedBytes: number): UsageRecord =>
  ({ tenantId, tenantName: tenantId === 't1' ? 'zeta' : 'alpha', resourceId, resourceName: `${resourceId}.qcow2`, hour, checkpoints, storedBytes });

// In hour order, as GET /v1/usage gives them.
const records = [
  record('2026-11-01T10:00:00.000Z', 't1', 'a', 1, 100),
  record('2026-11-01T10:00:00.000Z', 't2', 'c', 1, 5),
  record('2026-11-01T22:00:00.000Z', 't1', 'a', 2, 150),
  record('2026-11-02T09:00:00.000Z', 't1', 'b', 1, 40),
  record('2026-11-02T11:00:00.000Z', 't1', 'a', 1, 120),
];
const utcDay = (hour: string) => hour.slice(0, 10);

test('each resource counts its latest sample; a tenant sums its resources; sorted by tenant name, then resource', () => {
  assert.deepEqual(latestPerResource(records).map((r) => [r.tenantName, r.resourceName, r.checkpoints, r.storedBytes, r.sampledAt]), [
    ['alpha', 'c.qcow2', 1, 5, '2026-11-01T10:00:00.000Z'],
    ['zeta', 'a.qcow2', 1, 120, '2026-11-02T11:00:00.000Z'],
    ['zeta', 'b.qcow2', 1, 40, '2026-11-02T09:00:00.000Z'],
  ]);
  assert.deepEqual(perTenant(records), [
    { tenantId: 't2', tenantName: 'alpha', resources: 1, checkpoints: 1, storedBytes: 5 },
    { tenantId: 't1', tenantName: 'zeta', resources: 2, checkpoints: 2, storedBytes: 160 },
  ]);
  assert.deepEqual(perTenant([]), []);
});

test('per day: each resource\'s last sample of the day, summed per tenant, oldest day first', () => {
  assert.deepEqual(perDay(records, utcDay).map((d) => [d.day, d.tenantName, d.resources, d.checkpoints, d.storedBytes]), [
    ['2026-11-01', 'alpha', 1, 1, 5],
    ['2026-11-01', 'zeta', 1, 2, 150],
    ['2026-11-02', 'zeta', 2, 2, 160],
  ]);
});

test('a period of days runs from the first day\'s midnight to the midnight after the last', () => {
  const { from, to } = periodQuery('2026-11-01', '2026-11-03');
  assert.equal(new Date(from).getTime(), new Date('2026-11-01T00:00').getTime());
  assert.equal(new Date(to).getTime(), new Date('2026-11-04T00:00').getTime());
});
