// A plan's recovery point objective: its own, or what its schedule implies; a plan whose resources
// lack a good checkpoint recent enough is out of RPO in the API and the metrics, with the reason of
// its last failed backup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for the RPO';

interface Status { rpoSeconds: number | null; rpoFromSchedule: boolean; outOfRpo: boolean; resources: { lastGoodAt: string | null; outOfRpo: boolean }[]; lastFailure: { error: string } | null }

test('RPO: derived from the schedule or set; a plan whose backups fail goes out of it, with the reason', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'v.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '16M']);
  await qemuWrite(volume, 'write -P 0x51 0 1M');
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 't' })).body.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!.id;

  const daily = (await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'daily', schedule: 'daily at 01:00', retention: { keepLast: 7 }, timing: { jitterSeconds: 600 } })).body.id;
  const derived = (await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'derived', policyId: daily, resourceIds: [resource], enabled: false })).body.id;
  const d = (await admin.get<Status>(`/v1/plans/${derived}/status`)).body;
  assert.deepEqual([d.rpoSeconds, d.rpoFromSchedule, d.outOfRpo], [36 * 3600 + 600, true, false], 'a day and a half, plus the jitter');

  const manual = (await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'manual', retention: { keepLast: 7 } })).body.id;
  const plan = (await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'strict', policyId: manual, resourceIds: [resource], rpoSeconds: 60 })).body.id;
  const ok = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan })).body.id);
  assert.equal(ok.state, 'succeeded');
  const fresh = (await admin.get<Status>(`/v1/plans/${plan}/status`)).body;
  assert.equal(fresh.outOfRpo, false);
  assert.ok(fresh.resources[0]!.lastGoodAt);

  // The volume disappears: the next backup fails, and once a minute has passed the plan is out of RPO.
  await rm(volume);
  const failed = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan })).body.id);
  assert.equal(failed.state, 'failed');
  await new Promise((r) => setTimeout(r, 62_000));
  const late = (await admin.get<Status>(`/v1/plans/${plan}/status`)).body;
  assert.equal(late.outOfRpo, true);
  assert.match(late.lastFailure?.error ?? '', /does not exist|No such file/);
  const listed = (await admin.get<{ items: { id: string }[] }>('/v1/plans?outOfRpo=true')).body.items.map((p) => p.id);
  assert.deepEqual(listed, [plan], 'the disabled plan and its derived RPO are not late');
  assert.match(await (await fetch(`${server.url}/metrics`)).text(), /^cairn_plans_out_of_rpo 1$/m);
});
