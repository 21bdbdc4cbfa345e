// A plan's recovery point objective: its own, or what its schedule implies; a plan whose resources
// lack a good checkpoint recent enough is out of RPO in the API and the metrics, with the reason of
// its last failed backup. Webhooks are told of the failure (retried until the receiver takes it) and,
// once, of the plan out of RPO; each delivery is signed with the webhook's secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { webhookReceiver } from '../testkit/webhook-receiver.ts';
import { createHmac } from 'node:crypto';

const ADMIN_PASSWORD = 'operator passphrase for the RPO';

interface Status { rpoSeconds: number | null; rpoFromSchedule: boolean; outOfRpo: boolean; resources: { lastGoodAt: string | null; outOfRpo: boolean }[]; lastFailure: { error: string } | null }

test('RPO: derived from the schedule or set; a plan whose backups fail goes out of it, with the reason', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'v.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '16M']);
  await qemuWrite(volume, 'write -P 0x51 0 1M');
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_HEARTBEAT_SECONDS: '10' });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const receiver = await webhookReceiver(t, 1);
  const hook = await admin.send<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: receiver.url, events: ['operation.failed', 'plan.out_of_rpo'] });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  assert.ok(hook.body.secret.length >= 32);
  assert.doesNotMatch(JSON.stringify((await admin.get('/v1/webhooks')).body), new RegExp(hook.body.secret), 'the secret is shown once');
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

  // The receiver refused the first delivery: it came again, with the same delivery id, signed.
  const deadline = Date.now() + 60_000;
  while (!receiver.received.some((r) => r.event === 'plan.out_of_rpo') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const failures = receiver.received.filter((r) => r.event === 'operation.failed');
  assert.ok(failures.length >= 2 && failures[0]!.answered === 500 && failures.at(-1)!.answered === 204, JSON.stringify(receiver.received));
  assert.equal(new Set(failures.map((f) => f.delivery)).size, 1, 'a retry is the same delivery');
  for (const r of receiver.received) {
    const [, at, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.signature) ?? [];
    assert.equal(mac, createHmac('sha256', hook.body.secret).update(`${at}.${r.body}`).digest('hex'), 'signed with the secret');
  }
  assert.equal((JSON.parse(failures[0]!.body) as { operation: { id: string } }).operation.id, failed.id);
  const lapses = receiver.received.filter((r) => r.event === 'plan.out_of_rpo');
  assert.equal(lapses.length, 1, 'told once per lapse, whatever the sweeps');
  assert.equal((JSON.parse(lapses[0]!.body) as { plan: { id: string } }).plan.id, plan);
});
