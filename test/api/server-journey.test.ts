// A libvirt server protected through the API: discovered on a libvirt host, backed up by a plan (full,
// then incremental by libvirt checkpoints), restored as a new domain whose disks equal the source at
// the backup, and the newest checkpoint deleted with the libvirt checkpoint kept for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { guestWrite } from '../testkit/libvirt.ts';
import { ourCheckpoints, same, setupServer, snapshot } from '../testkit/server.ts';

const ADMIN_PASSWORD = 'operator passphrase for servers';

test('a libvirt server through the API: plan, full and incremental backups, restore as a new domain, delete', async (t) => {
  const s = await setupServer(t, 'api');
  const server = await startServer(t, ['--data', join(s.dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'kvm1', siteId: site, kind: 'libvirt', location: 'qemu:///system' });
  assert.equal((await admin.send('POST', `/v1/hosts/${host.body.id}/discover`)).status, 200);
  const resources = await admin.get<{ items: { id: string; type: string; externalId: string }[] }>(`/v1/resources?hostId=${host.body.id}&type=server`);
  const domain = resources.body.items.find((r) => r.externalId === s.name);
  assert.ok(domain, JSON.stringify(resources.body));

  // An operator's offering, used by the tenant's plan.
  const offering = (await admin.send<{ id: string; tenantId: string | null }>('POST', '/v1/policies', { name: 'servers', retention: { keepLast: 5 }, options: { quiesce: false } })).body;
  assert.equal(offering.tenantId, null);
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  await admin.send('PATCH', `/v1/resources/${domain.id}`, { tenantId: tenant });
  const plan = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'web', policyId: offering.id, resourceIds: [domain.id] });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));

  const full = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan.body.id })).body.id);
  assert.equal(full.state, 'succeeded', JSON.stringify(full));
  await guestWrite(s.name, 'write -P 0x99 6M 1M');
  const incr = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan.body.id })).body.id);
  assert.equal(incr.state, 'succeeded', JSON.stringify(incr));
  const atBackup = await snapshot(s, 'second');
  const cps = (await admin.get<{ items: { id: string; bankRef: string; parentRef: string | null; type: string }[] }>(`/v1/checkpoints?planId=${plan.body.id}`)).body.items;
  assert.deepEqual(cps.map((c) => c.type), ['server', 'server']);
  assert.equal(cps[1]!.parentRef, cps[0]!.bankRef, 'the second backup is incremental');

  const copy = `${s.name}-copy`;
  const restored = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cps[1]!.id, target: { mode: 'new', name: copy } })).body.id);
  assert.equal(restored.state, 'succeeded', JSON.stringify(restored));
  assert.equal(restored.result?.domain, copy);
  const paths = restored.result?.paths as string[];
  assert.equal(paths.length, 2);
  await same(atBackup.vda, paths.find((p) => p.includes('vda'))!, 'qcow2');
  await same(atBackup.vdb, paths.find((p) => p.includes('vdb'))!, 'raw');

  // The domain keeps a libvirt checkpoint for its newest backup only; deleting that backup removes it.
  const before = await ourCheckpoints(s.name);
  assert.ok(before.some((c) => c.endsWith(cps[1]!.bankRef)), before.join(' '));
  const deleted = await admin.finished((await admin.send<{ id: string }>('DELETE', `/v1/checkpoints/${cps[1]!.id}`)).body.id);
  assert.equal(deleted.state, 'succeeded', JSON.stringify(deleted));
  assert.deepEqual(await ourCheckpoints(s.name), [], 'the libvirt checkpoint of a deleted checkpoint goes with it');
});
