// A server killed with SIGKILL in the middle of a backup: started again, it retries the operation,
// which ends with exactly one available checkpoint whose restore equals the source. A running backup
// cancelled stops, and leaves no available checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn, type OperationJson } from '../testkit/api-client.ts';
import { qemu } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { randomVolume } from '../testkit/files.ts';

const ADMIN_PASSWORD = 'operator passphrase for the crash';
// Retried within seconds of the restart, not after the default half minute.
const ENV = { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_HEARTBEAT_SECONDS: '10' };

test('a server killed during a backup retries it after the restart: one checkpoint, restorable, nothing half-visible', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'data'), vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'big.img');
  await randomVolume(volume, 1 << 30);

  const first = await startServer(t, ['--data', data], ENV);
  const admin = await signIn(first.url, 'admin', ADMIN_PASSWORD);
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 't' })).body.id;
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!;

  const op = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource.id] });
  assert.equal(op.status, 202, JSON.stringify(op.body));
  // Killed once the backup has moved data, before it can commit.
  for (;;) {
    const now = await admin.get<OperationJson>(`/v1/operations/${op.body.id}`);
    assert.notEqual(now.body.state, 'succeeded', 'the backup ended before the kill: make the volume larger');
    if (Number(now.body.progress?.doneBytes ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  first.child.kill('SIGKILL');
  await first.stop();

  const second = await startServer(t, ['--data', data], ENV);
  const again = await signIn(second.url, 'admin', ADMIN_PASSWORD);
  const ended = await again.finished(op.body.id);
  assert.equal(ended.state, 'succeeded', JSON.stringify(ended));
  assert.ok(ended.attempts >= 2, `attempts: ${ended.attempts}`);
  assert.ok(ended.log.some((l) => /^attempt 2/.test(l.message)), JSON.stringify(ended.log));

  const cps = await again.get<{ items: { id: string; status: string; bankRef: string }[] }>(`/v1/checkpoints?resourceId=${resource.id}`);
  assert.deepEqual(cps.body.items.map((c) => c.status), ['available'], 'exactly one checkpoint, nothing half-made');
  const restore = await again.finished((await again.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cps.body.items[0]!.id, target: { mode: 'new', name: 'back.img' } })).body.id);
  assert.equal(restore.state, 'succeeded', JSON.stringify(restore));
  await qemu('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'raw', volume, join(vols, 'back.img')]);
});

test('a running backup cancelled stops at its next progress report and leaves no available checkpoint', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  await randomVolume(join(vols, 'big.img'), 1 << 30);
  const server = await startServer(t, ['--data', join(dir, 'data')], ENV);
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!;
  const op = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource.id] });
  for (;;) {
    const now = await admin.get<OperationJson>(`/v1/operations/${op.body.id}`);
    assert.notEqual(now.body.state, 'succeeded', 'the backup ended before the cancel: make the volume larger');
    if (Number(now.body.progress?.doneBytes ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal((await admin.send('POST', `/v1/operations/${op.body.id}/cancel`)).status, 202);
  const ended = await admin.finished(op.body.id);
  assert.equal(ended.state, 'cancelled', JSON.stringify(ended));
  const cps = await admin.get<{ items: { status: string }[] }>(`/v1/checkpoints?resourceId=${resource.id}`);
  assert.ok(cps.body.items.every((c) => c.status !== 'available'), JSON.stringify(cps.body));
  assert.equal((await admin.send('POST', `/v1/operations/${op.body.id}/cancel`)).status, 409, 'an ended operation is not cancelled again');
});
