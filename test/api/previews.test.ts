// The previews a policy editor asks for before saving: the next runs of an unsaved schedule (in its
// time zone, inside its window) and what an unsaved retention would keep of the checkpoints of the
// plans that use a policy. Both change nothing; bad input is a 400 that says what to fix; another
// tenant's policy is not found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { call, startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for previews';

interface Verdict { id: string; keep: boolean; reasons: string[]; pinned: boolean }

/** Hour and minute of an instant as a clock in `timeZone` shows it. */
const localClock = (iso: string, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

test('schedule and retention previews: next runs of an unsaved schedule, keep or expire per checkpoint, nothing changed', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'v.qcow2'), '16M']);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);

  // Schedules: the calendar forms in a time zone, a window, and refusals that name the fix.
  assert.equal((await call(`${server.url}/v1/schedules/preview`, { method: 'POST', body: { schedule: 'daily at 02:30' } })).status, 401);
  const paris = await admin.send<{ cron: string; timeZone: string; nextRuns: string[] }>('POST', '/v1/schedules/preview', { schedule: 'daily at 02:30', timeZone: 'Europe/Paris' });
  assert.equal(paris.status, 200, JSON.stringify(paris.body));
  assert.equal(paris.body.cron, '30 2 * * *');
  assert.equal(paris.body.nextRuns.length, 5);
  assert.ok(paris.body.nextRuns.every((r) => localClock(r, 'Europe/Paris') === '02:30'), JSON.stringify(paris.body.nextRuns));
  assert.ok(paris.body.nextRuns.every((r) => ['00:30', '01:30'].includes(localClock(r, 'UTC'))), 'Paris is UTC+1 or +2');
  const windowed = await admin.send<{ nextRuns: string[] }>('POST', '/v1/schedules/preview', { schedule: 'hourly at :15', window: { start: '22:00', end: '02:00' }, count: 8 });
  assert.equal(windowed.body.nextRuns.length, 8);
  assert.ok(windowed.body.nextRuns.every((r) => ['22:15', '23:15', '00:15', '01:15'].includes(localClock(r, 'UTC'))), JSON.stringify(windowed.body));
  const cron = await admin.send<{ cron: string; nextRuns: string[] }>('POST', '/v1/schedules/preview', { schedule: '0 4 1 * *', count: 2 });
  assert.ok(cron.body.nextRuns.every((r) => new Date(r).getUTCDate() === 1 && r.endsWith('T04:00:00.000Z')), JSON.stringify(cron.body));
  for (const [body, detail] of [
    [{ schedule: 'daily at 25:00' }, /HH:MM, 00:00 to 23:59/],
    [{ schedule: 'every day please' }, /is not a cron expression \(five fields/],
    [{ schedule: 'daily at 02:30', timeZone: 'Mars/Olympus' }, /not an IANA time zone/],
    [{ schedule: 'daily at 02:30', window: { start: '03:00', end: '03:00' } }, /starts when it ends is empty/],
    [{ schedule: 'daily at 02:30', count: 0 }, /count/],
  ] as const) {
    const bad = await admin.send<{ detail: string }>('POST', '/v1/schedules/preview', body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.match(bad.body.detail, detail);
  }

  // Retention: three checkpoints of a volume in a plan, the oldest pinned.
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant })).body.id;
  await admin.send('POST', `/v1/hosts/${host}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!.id;
  const policy = (await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'keep ten', retention: { keepLast: 10 } })).body.id;
  const plan = (await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'p', policyId: policy, resourceIds: [resource] })).body.id;
  for (let i = 0; i < 3; i++) {
    const op = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan });
    assert.equal((await admin.finished(op.body.id)).state, 'succeeded');
  }
  const before = (await admin.get<{ items: { id: string }[] }>('/v1/checkpoints')).body.items.map((c) => c.id);
  assert.equal(before.length, 3);
  assert.equal((await admin.send('PATCH', `/v1/checkpoints/${before[0]}`, { pinned: true })).status, 200);

  const preview = await admin.send<{ timeZone: string; checkpoints: Verdict[] }>('POST', `/v1/policies/${policy}/retention-preview`, { retention: { keepLast: 1 } });
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.equal(preview.body.timeZone, 'UTC');
  assert.deepEqual(preview.body.checkpoints.map((c) => [c.id, c.keep, c.reasons]), [
    [before[2], true, ['last']], [before[1], false, []], [before[0], true, ['pinned']],
  ], 'newest first: the newest kept by keep-last, the pinned one kept, the middle one would expire');
  const all = await admin.send<{ checkpoints: Verdict[] }>('POST', `/v1/policies/${policy}/retention-preview`, { retention: { keepWithin: '1d' } });
  assert.ok(all.body.checkpoints.every((c) => c.keep), JSON.stringify(all.body));
  const none = await admin.send<{ detail: string }>('POST', `/v1/policies/${policy}/retention-preview`, { retention: {} });
  assert.equal(none.status, 400);
  assert.match(none.body.detail, /no retention rule given/);
  const badWithin = await admin.send<{ detail: string }>('POST', `/v1/policies/${policy}/retention-preview`, { retention: { keepWithin: 'soon' } });
  assert.equal(badWithin.status, 400);
  assert.match(badWithin.body.detail, /soon/);

  // Nothing changed: the same checkpoints, no operation beyond the three backups.
  assert.deepEqual((await admin.get<{ items: { id: string }[] }>('/v1/checkpoints')).body.items.map((c) => c.id), before);
  assert.equal((await admin.get<{ items: unknown[] }>('/v1/operations')).body.items.length, 3);

  // Another tenant's member does not find acme's policy; a policy that does not exist is a 404 too.
  const globex = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'globex' })).body.id;
  const eve = (await admin.send<{ id: string }>('POST', '/v1/users', { username: 'eve', password: 'eve has a long password' })).body.id;
  await admin.send('PUT', `/v1/tenants/${globex}/members/${eve}`, { role: 'member' });
  const other = await signIn(server.url, 'eve', 'eve has a long password');
  assert.equal((await other.send('POST', `/v1/policies/${policy}/retention-preview`, { retention: { keepLast: 1 } })).status, 404);
  assert.equal((await admin.send('POST', '/v1/policies/nope/retention-preview', { retention: { keepLast: 1 } })).status, 404);
});
