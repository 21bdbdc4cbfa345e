// A bank's health for operators (GET /v1/banks/{id}/health): whether it answers at its location,
// what it holds by the catalog, its last garbage collection and verification, and operations running on it; a bank
// whose directory was removed is unreachable with the reason; only operators may ask. The host list
// says how many operations run on each host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for health';
const SECOND_PASSPHRASE = 'the second bank passphrase';

interface Health {
  reachable: boolean; reason: string | null; checkpoints: number; storedBytes: number; damagedCheckpoints: number;
  lastGc: { id: string; state: string; finishedAt: string | null; error: string | null } | null; lastVerify: { id: string; state: string } | null; runningOperations: number; maxOperations: number | null;
}

test('bank health: reachable with its checkpoints and last GC; a removed directory is unreachable with the reason; operators only', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'v.qcow2'), '16M']);
  await qemuWrite(join(vols, 'v.qcow2'), 'write -P 0x41 0 4M');
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols })).body.id;
  await admin.send('POST', `/v1/hosts/${host}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!.id;
  const backup = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource] })).body.id);
  assert.equal(backup.state, 'succeeded', JSON.stringify(backup));
  const local = (await admin.get<{ items: { id: string }[] }>('/v1/banks')).body.items[0]!.id;

  // Before any upkeep: reachable, one checkpoint with its bytes, no GC yet.
  const before = await admin.get<Health>(`/v1/banks/${local}/health`);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  assert.deepEqual([before.body.reachable, before.body.reason, before.body.checkpoints, before.body.damagedCheckpoints, before.body.lastGc, before.body.lastVerify, before.body.runningOperations],
    [true, null, 1, 0, null, null, 0]);
  assert.ok(before.body.storedBytes > 0, JSON.stringify(before.body));
  const hosts = await admin.get<{ items: { id: string; runningOperations: number }[] }>('/v1/hosts');
  assert.equal(hosts.body.items.find((h) => h.id === host)!.runningOperations, 0);

  // After a garbage collection, it is the last one.
  const gc = await admin.finished((await admin.send<{ id: string }>('POST', `/v1/banks/${local}/gc`)).body.id);
  assert.equal(gc.state, 'succeeded');
  const after = (await admin.get<Health>(`/v1/banks/${local}/health`)).body;
  assert.deepEqual([after.lastGc?.id, after.lastGc?.state, after.lastGc?.error], [gc.id, 'succeeded', null]);
  assert.ok(after.lastGc?.finishedAt);

  // A verification of its checkpoint is its last verification.
  const checkpoint = (await admin.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${resource}`)).body.items[0]!.id;
  const verify = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/verifications', { checkpointIds: [checkpoint] })).body.id);
  assert.equal(verify.state, 'succeeded', JSON.stringify(verify));
  const verified = (await admin.get<Health>(`/v1/banks/${local}/health`)).body;
  assert.deepEqual([verified.lastVerify?.id, verified.lastVerify?.state, verified.damagedCheckpoints], [verify.id, 'succeeded', 0]);

  // A second bank whose directory is then removed: unreachable, and the reason names the location; never the passphrase.
  const location = join(dir, 'second');
  const second = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'second', siteId: site, location, passphrase: SECOND_PASSPHRASE, create: true });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  assert.equal((await admin.get<Health>(`/v1/banks/${second.body.id}/health`)).body.reachable, true);
  await rm(location, { recursive: true });
  const gone = await admin.get<Health>(`/v1/banks/${second.body.id}/health`);
  assert.equal(gone.status, 200);
  assert.equal(gone.body.reachable, false);
  assert.match(String(gone.body.reason), /holds no Cairn bank/);
  assert.ok(gone.body.reason!.includes(location), gone.body.reason!);
  assert.doesNotMatch(JSON.stringify(gone.body), new RegExp(SECOND_PASSPHRASE));

  // No such bank: 404; someone who is not an operator: 403.
  assert.equal((await admin.get('/v1/banks/nope/health')).status, 404);
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const user = await admin.send<{ id: string }>('POST', '/v1/users', { username: 'alice', password: 'alice has a long password' });
  await admin.send('PUT', `/v1/tenants/${tenant}/members/${user.body.id}`, { role: 'admin' });
  const alice = await signIn(server.url, 'alice', 'alice has a long password');
  const refused = await alice.get<{ detail: string }>(`/v1/banks/${local}/health`);
  assert.equal(refused.status, 403);
  assert.match(refused.body.detail, /only an operator/);
  assert.equal((await alice.get('/v1/hosts')).status, 403);
});
