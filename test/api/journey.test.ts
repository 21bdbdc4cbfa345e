// The whole journey through the API on real volumes, on PGlite and on PostgreSQL: an operator registers
// a directory of volumes for a tenant; the tenant's member finds the volume, makes a policy and a plan,
// backs up (full, then incremental), restores to a new volume whose bytes equal the source, verifies
// and deletes a checkpoint. Another tenant's member reaches none of it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn, type Api } from '../testkit/api-client.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for the journey';

async function tenantUser(admin: Api, tenant: string, username: string, role: string): Promise<void> {
  const user = await admin.send<{ id: string }>('POST', '/v1/users', { username, password: 'a tenant password of some length' });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  assert.equal((await admin.send('PUT', `/v1/tenants/${tenant}/members/${user.body.id}`, { role })).status, 200);
}

async function journey(t: TestContext, env: Record<string, string>): Promise<void> {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);

  const acme = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const other = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'other' })).body.id;
  await tenantUser(admin, acme, 'alice', 'member');
  await tenantUser(admin, acme, 'victor', 'viewer');
  await tenantUser(admin, other, 'mallory', 'admin');
  const alice = await signIn(server.url, 'alice', 'a tenant password of some length');
  const victor = await signIn(server.url, 'victor', 'a tenant password of some length');
  const mallory = await signIn(server.url, 'mallory', 'a tenant password of some length');

  const vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'db.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '64M']);
  await qemuWrite(volume, 'write -P 0x11 0 4M', 'write -P 0x22 32M 1M');
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: acme });
  assert.equal(host.status, 201, JSON.stringify(host.body));
  assert.equal((await admin.send('POST', `/v1/hosts/${host.body.id}/discover`)).status, 200);

  const resources = await alice.get<{ items: { id: string; name: string }[] }>('/v1/resources');
  const resource = resources.body.items.find((r) => r.name === 'db.qcow2');
  assert.ok(resource, JSON.stringify(resources.body));

  // A policy with a retention the CLI's prune would take, and a plan with the volume in it.
  const badPolicy = await alice.send<{ detail: string }>('POST', '/v1/policies', { name: 'daily', schedule: 'at two', retention: { keepLast: 7 } });
  assert.equal(badPolicy.status, 400);
  assert.match(badPolicy.body.detail, /five fields/);
  const policy = await alice.send<{ id: string; tenantId: string }>('POST', '/v1/policies', { name: 'daily', schedule: '0 2 * * *', timeZone: 'Europe/Paris', retention: { keepLast: 7, keepWithin: '30d' } });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  assert.equal(policy.body.tenantId, acme);
  assert.equal((await victor.send('POST', '/v1/policies', { name: 'mine', retention: { keepLast: 1 } })).status, 403, 'a viewer makes no policy');
  const pathOption = await alice.send<{ detail: string }>('POST', '/v1/policies', { name: 'sneaky', retention: { keepLast: 1 }, options: { scratchDir: '/etc' } });
  assert.equal(pathOption.status, 403);
  assert.match(pathOption.body.detail, /scratchDir are set by operators/);
  const plan = await alice.send<{ id: string; resourceIds: string[] }>('POST', '/v1/plans', { name: 'databases', policyId: policy.body.id, resourceIds: [resource.id] });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  assert.deepEqual(plan.body.resourceIds, [resource.id]);
  assert.equal((await mallory.get(`/v1/plans/${plan.body.id}`)).status, 404);
  assert.equal((await mallory.send('POST', '/v1/plans', { tenantId: other, name: 'steal', policyId: policy.body.id, resourceIds: [resource.id] })).status, 400,
    'another tenant can neither use the policy nor name the resource');

  // Back up the plan: a full, then (after writes) an incremental one that reads only what changed.
  assert.equal((await victor.send('POST', '/v1/checkpoints', { planId: plan.body.id })).status, 403);
  const first = await alice.send<{ id: string; state: string }>('POST', '/v1/checkpoints', { planId: plan.body.id });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const firstDone = await alice.finished(first.body.id);
  assert.equal(firstDone.state, 'succeeded', JSON.stringify(firstDone));
  assert.ok(firstDone.log.some((l) => /full backup/.test(l.message)), JSON.stringify(firstDone.log));
  await qemuWrite(volume, 'write -P 0x33 8M 2M');
  const second = await alice.finished((await alice.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan.body.id })).body.id);
  assert.equal(second.state, 'succeeded', JSON.stringify(second));

  interface CheckpointJson { id: string; bankRef: string; parentRef: string | null; status: string; sourceBytes: number; planId: string; resourceId: string }
  const listed = await victor.get<{ items: CheckpointJson[] }>(`/v1/checkpoints?planId=${plan.body.id}`);
  assert.equal(listed.body.items.length, 2);
  const [full, incr] = listed.body.items as [CheckpointJson, CheckpointJson];
  assert.deepEqual([full.status, incr.status], ['available', 'available']);
  assert.equal(full.parentRef, null);
  assert.equal(incr.parentRef, full.bankRef, 'the second backup is incremental to the first');
  assert.equal(incr.resourceId, resource.id);
  assert.equal((await mallory.get(`/v1/checkpoints/${incr.id}`)).status, 404, 'another tenant\'s checkpoint answers 404');
  assert.deepEqual((await mallory.get<{ items: unknown[] }>('/v1/checkpoints')).body.items, []);
  assert.equal((await mallory.get(`/v1/operations/${first.body.id}`)).status, 404);

  // Restore the incremental to a new volume beside the original: its disk equals the source's.
  const bad = await alice.send<{ detail: string }>('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: '../../etc/passwd' } });
  assert.equal(bad.status, 400, 'a restore target is a name in the host\'s directory, never a path');
  const wrongFormat = await alice.send<{ detail: string }>('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: 'x.img' }, parameters: { format: 'vmdk' } });
  assert.equal(wrongFormat.status, 400);
  assert.match(wrongFormat.body.detail, /format/);
  assert.equal((await mallory.send('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: 'x.qcow2' } })).status, 404);
  const restore = await alice.send<{ id: string }>('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: 'db-restored.qcow2' } });
  assert.equal(restore.status, 202, JSON.stringify(restore.body));
  const restored = await alice.finished(restore.body.id);
  assert.equal(restored.state, 'succeeded', JSON.stringify(restored));
  await qemu('qemu-img', ['compare', '-q', volume, join(vols, 'db-restored.qcow2')]);
  const taken = await alice.send<{ detail: string }>('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: 'db-restored.qcow2' } });
  assert.equal(taken.status, 409, 'a restore never overwrites a volume by name');

  // Verify both, then delete the first: the incremental still restores (it references its chunks itself).
  const verified = await alice.finished((await alice.send<{ id: string }>('POST', '/v1/verifications', { checkpointIds: [full.id, incr.id] })).body.id);
  assert.equal(verified.state, 'succeeded', JSON.stringify(verified));
  assert.equal(verified.result?.damaged, 0);
  assert.ok((await alice.get<{ verifiedAt: string | null }>(`/v1/checkpoints/${incr.id}`)).body.verifiedAt);
  assert.equal((await mallory.send('DELETE', `/v1/checkpoints/${full.id}`)).status, 404);
  const deleted = await alice.finished((await alice.send<{ id: string }>('DELETE', `/v1/checkpoints/${full.id}`)).body.id);
  assert.equal(deleted.state, 'succeeded', JSON.stringify(deleted));
  assert.equal((await alice.get(`/v1/checkpoints/${full.id}`)).status, 404);
  const again = await alice.finished((await alice.send<{ id: string }>('POST', '/v1/restores', { checkpointId: incr.id, target: { mode: 'new', name: 'again.qcow2' } })).body.id);
  assert.equal(again.state, 'succeeded', JSON.stringify(again));
  await qemu('qemu-img', ['compare', '-q', volume, join(vols, 'again.qcow2')]);

  assert.equal((await alice.get<{ items: unknown[] }>('/v1/restores')).body.items.length, 2);
  assert.deepEqual((await mallory.get<{ items: unknown[] }>('/v1/restores')).body.items, []);
  const ops = await alice.get<{ items: { type: string; state: string }[] }>('/v1/operations');
  assert.deepEqual(ops.body.items.map((o) => `${o.type}:${o.state}`), ['backup:succeeded', 'backup:succeeded', 'restore:succeeded', 'verify:succeeded', 'delete:succeeded', 'restore:succeeded']);
}

test('the journey on the embedded catalog (PGlite)', async (t) => {
  await journey(t, {});
});

test('the journey on PostgreSQL', async (t) => {
  await journey(t, { DATABASE_URL: await freshDatabase(t) });
});
