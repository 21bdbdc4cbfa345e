// Automatic protection on the embedded server: a plan whose policy ticks every minute is backed up
// by scheduled operations (after people's), full every second backup as the policy asks; retention
// expires what keep-last no longer keeps by delete operations of its own, and a pinned checkpoint stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn, type Api } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for schedules';

interface Op { id: string; type: string; state: string; scheduled: boolean; request: { checkpointId?: string; reason?: string } }
interface Cp { id: string; bankRef: string; parentRef: string | null; status: string; pinned: boolean }

/** Waits until `n` scheduled backups have ended (ticks come once a minute). */
async function scheduledBackups(api: Api, n: number): Promise<Op[]> {
  const deadline = Date.now() + (n + 2) * 70_000;
  for (;;) {
    const ops = (await api.get<{ items: Op[] }>('/v1/operations?type=backup')).body.items.filter((o) => o.scheduled);
    if (ops.length >= n && ops.slice(0, n).every((o) => ['succeeded', 'failed'].includes(o.state))) return ops.slice(0, n);
    if (Date.now() > deadline) assert.fail(`${n} scheduled backups did not end in time: ${JSON.stringify(ops)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test('scheduled backups every minute: once per tick, full every second one, expired by retention, pinned kept', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'v.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '16M']);
  await qemuWrite(volume, 'write -P 0x21 0 1M');
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 't' })).body.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!.id;

  const bad = await admin.send<{ detail: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'x', schedule: 'daily at 25:00', retention: { keepLast: 1 } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /HH:MM, 00:00 to 23:59/);
  const policy = await admin.send<{ id: string }>('POST', '/v1/policies', {
    tenantId: tenant, name: 'minutely', schedule: '* * * * *', timeZone: 'Europe/Paris', retention: { keepLast: 1 }, timing: { fullEvery: 2 },
  });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  const schedule = await admin.get<{ cron: string; nextRuns: string[] }>(`/v1/policies/${policy.body.id}/schedule?count=3`);
  assert.equal(schedule.body.cron, '* * * * *');
  assert.equal(schedule.body.nextRuns.length, 3);
  assert.equal(Date.parse(schedule.body.nextRuns[1]!) - Date.parse(schedule.body.nextRuns[0]!), 60_000);
  const daily = await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'daily', schedule: 'weekly on mon at 02:30', timeZone: 'UTC', retention: { keepLast: 1 } });
  const weekly = await admin.get<{ cron: string; nextRuns: string[] }>(`/v1/policies/${daily.body.id}/schedule`);
  assert.equal(weekly.body.cron, '30 2 * * 1');
  assert.ok(weekly.body.nextRuns.every((r) => new Date(r).getUTCDay() === 1 && r.endsWith('T02:30:00.000Z')), JSON.stringify(weekly.body));

  const plan = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'p', policyId: policy.body.id, resourceIds: [resource] });
  assert.equal(plan.status, 201);

  // The first tick's backup is full; pinned, it outlives keep-last 1.
  const [first] = await scheduledBackups(admin, 1);
  assert.equal(first!.state, 'succeeded', JSON.stringify(first));
  const firstCp = (await admin.get<{ items: Cp[] }>(`/v1/checkpoints?resourceId=${resource}`)).body.items[0]!;
  assert.equal(firstCp.parentRef, null);
  assert.equal((await admin.send<Cp>('PATCH', `/v1/checkpoints/${firstCp.id}`, { pinned: true })).body.pinned, true);
  await qemuWrite(volume, 'write -P 0x22 2M 1M');

  // The second is incremental on it, the third full again (its chain would hold 3 > fullEvery 2).
  const ops = await scheduledBackups(admin, 3);
  assert.deepEqual(ops.map((o) => o.state), ['succeeded', 'succeeded', 'succeeded']);
  const deletes = (await admin.get<{ items: Op[] }>('/v1/operations?type=delete')).body.items;
  await Promise.all(deletes.map((d) => admin.finished(d.id)));
  assert.ok(deletes.length >= 1 && deletes.every((d) => d.scheduled && /expired by the retention of policy minutely/.test(d.request.reason ?? '')), JSON.stringify(deletes));
  const left = (await admin.get<{ items: Cp[] }>(`/v1/checkpoints?resourceId=${resource}&status=available`)).body.items;
  assert.equal(left[0]!.id, firstCp.id, 'the pinned checkpoint stays');
  const newest = left.at(-1)!;
  assert.equal(left.length, 2, `keep-last 1 keeps the newest, and the pinned one: ${JSON.stringify(left)}`);
  assert.equal(newest.parentRef, null, 'the third backup is full: fullEvery 2');

  // Each tick made one backup: three ticks, three scheduled backups, none twice.
  const all = (await admin.get<{ items: Op[] }>('/v1/operations?type=backup')).body.items.filter((o) => o.scheduled);
  assert.ok(all.length <= 4, `ticks made ${all.length} backups in about three minutes`);
});
