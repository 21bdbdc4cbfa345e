// Quotas refuse what would exceed them, with a message that says what to do and nothing changed;
// usage records per tenant, resource and hour come as JSON and CSV; /metrics tells Prometheus the figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for quotas';
const USER_PASSWORD = 'a tenant password of some length';

test('quotas on resources and checkpoints, usage records as JSON and CSV, and Prometheus metrics', async (t) => {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const other = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'other' })).body.id;
  for (const [name, tenant] of [['alice', acme], ['mallory', other]] as const) {
    const u = await admin.send<{ id: string }>('POST', '/v1/users', { username: name, password: USER_PASSWORD });
    await admin.send('PUT', `/v1/tenants/${tenant}/members/${u.body.id}`, { role: 'member' });
  }
  const alice = await signIn(server.url, 'alice', USER_PASSWORD);
  const mallory = await signIn(server.url, 'mallory', USER_PASSWORD);

  const vols = join(dir, 'vols');
  await mkdir(vols);
  for (const name of ['a.qcow2', 'b.qcow2']) {
    await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, name), '16M']);
    await qemuWrite(join(vols, name), `write -P 0x${name === 'a.qcow2' ? '41' : '42'} 0 2M`);
  }
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: acme });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const [a, b] = (await alice.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.sort((x, y) => x.name.localeCompare(y.name));

  assert.equal((await alice.send('PUT', `/v1/tenants/${acme}/quota`, { maxResources: 100, maxCheckpoints: null, maxStoredBytes: null })).status, 403, 'only operators set quotas');
  const set = await admin.send('PUT', `/v1/tenants/${acme}/quota`, { maxResources: 1, maxCheckpoints: 1, maxStoredBytes: null });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal((await mallory.get(`/v1/tenants/${acme}/quota`)).status, 404);

  const policy = (await alice.send<{ id: string }>('POST', '/v1/policies', { name: 'p', retention: { keepLast: 3 } })).body.id;
  const tooMany = await alice.send<{ detail: string }>('POST', '/v1/plans', { name: 'both', policyId: policy, resourceIds: [a!.id, b!.id] });
  assert.equal(tooMany.status, 403);
  assert.match(tooMany.body.detail, /would protect 2 resources; its quota is 1/);
  assert.deepEqual((await alice.get<{ items: unknown[] }>('/v1/plans')).body.items, [], 'a refused plan is not made');
  const plan = await alice.send<{ id: string }>('POST', '/v1/plans', { name: 'one', policyId: policy, resourceIds: [a!.id] });
  assert.equal(plan.status, 201);

  const done = await alice.finished((await alice.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan.body.id })).body.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  const over = await alice.send<{ detail: string }>('POST', '/v1/checkpoints', { planId: plan.body.id });
  assert.equal(over.status, 403);
  assert.match(over.body.detail, /would make 2 checkpoints; the tenant's quota is 1: delete checkpoints/);
  assert.equal((await alice.get<{ items: unknown[] }>('/v1/operations?type=backup')).body.items.length, 1, 'a refused backup starts no operation');

  const quota = await alice.get<{ usage: { resources: number; checkpoints: number; storedBytes: number } }>(`/v1/tenants/${acme}/quota`);
  assert.equal(quota.body.usage.resources, 1);
  assert.equal(quota.body.usage.checkpoints, 1);
  assert.ok(quota.body.usage.storedBytes > 0);

  const usage = await alice.get<{ items: { tenantId: string; resourceId: string; resourceName: string; checkpoints: number; storedBytes: number }[] }>('/v1/usage');
  assert.equal(usage.body.items.length, 1, JSON.stringify(usage.body));
  assert.deepEqual([usage.body.items[0]!.resourceId, usage.body.items[0]!.resourceName, usage.body.items[0]!.checkpoints], [a!.id, 'a.qcow2', 1]);
  assert.equal(usage.body.items[0]!.storedBytes, quota.body.usage.storedBytes);
  assert.deepEqual((await mallory.get<{ items: unknown[] }>('/v1/usage')).body.items, [], 'another tenant sees none of it');
  assert.equal((await mallory.get(`/v1/usage?tenantId=${acme}`)).status, 404);
  const csv = await fetch(`${server.url}/v1/usage?format=csv`, { headers: { authorization: `Bearer ${admin.token}` } });
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = (await csv.text()).trim().split('\n');
  assert.equal(lines[0], 'hour,tenant_id,tenant,resource_id,resource,checkpoints,stored_bytes');
  assert.match(lines[1]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00.000Z,${acme},acme,${a!.id},a.qcow2,1,${quota.body.usage.storedBytes}$`));

  const metrics = await fetch(`${server.url}/metrics`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.match(text, /^cairn_operations\{type="backup",state="succeeded"\} 1$/m);
  assert.match(text, /^cairn_checkpoints\{status="available"\} 1$/m);
  assert.match(text, new RegExp(`^cairn_stored_bytes\\{status="available"\\} ${quota.body.usage.storedBytes}$`, 'm'));
  assert.match(text, /^cairn_operation_duration_seconds_count\{type="backup"\} 1$/m);
  assert.match(text, /^cairn_protected_resources 1$/m);
  assert.doesNotMatch(text, /acme|alice/, 'metrics name no tenant');

  // Its only checkpoint deleted, the resource's latest usage row says it holds nothing.
  const checkpoint = (await alice.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${a!.id}`)).body.items[0]!;
  assert.equal((await alice.finished((await alice.send<{ id: string }>('DELETE', `/v1/checkpoints/${checkpoint.id}`)).body.id)).state, 'succeeded');
  const after = (await alice.get<{ items: { resourceId: string; checkpoints: number; storedBytes: number }[] }>('/v1/usage')).body.items.filter((u) => u.resourceId === a!.id);
  assert.deepEqual([after.at(-1)!.checkpoints, after.at(-1)!.storedBytes], [0, 0], JSON.stringify(after));
});
