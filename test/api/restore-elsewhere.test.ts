// Restore at another site: a tenant's volume is backed up at its site; a second site has a host of
// the tenant's and a copy of the bank. After the first site's bank is lost, the tenant restores the
// checkpoint on the second site's host, read from the copy, and the bytes equal the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for two sites';
const USER_PASSWORD = 'a tenant password of some length';
const BANK_PASSPHRASE = 'the passphrase of the bank both sites hold';

interface RestoreHostJson { id: string; name: string; siteName: string; original: boolean; bank: { id: string; name: string; siteName: string } }

test('a checkpoint restores at another site, from that site\'s copy of the bank', async (t) => {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const other = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'other' })).body.id;
  for (const [username, tenant, role] of [['alice', acme, 'member'], ['victor', acme, 'viewer'], ['mallory', other, 'admin']] as const) {
    const user = await admin.send<{ id: string }>('POST', '/v1/users', { username, password: USER_PASSWORD });
    assert.equal((await admin.send('PUT', `/v1/tenants/${tenant}/members/${user.body.id}`, { role })).status, 200);
  }
  const [alice, victor, mallory] = await Promise.all([signIn(server.url, 'alice', USER_PASSWORD), signIn(server.url, 'victor', USER_PASSWORD), signIn(server.url, 'mallory', USER_PASSWORD)]);

  // Site one: the tenant's volumes and a bank. Site two ("dr"): a directory of the tenant's, another of
  // someone else's, and nothing yet of the bank.
  const one = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const dr = (await admin.send<{ id: string }>('POST', '/v1/sites', { name: 'dr' })).body.id;
  const [volsOne, volsDr, volsOther] = [join(dir, 'vols-one'), join(dir, 'vols-dr'), join(dir, 'vols-other')];
  for (const d of [volsOne, volsDr, volsOther]) await mkdir(d);
  const volume = join(volsOne, 'db.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '64M']);
  await qemuWrite(volume, 'write -P 0x61 0 3M', 'write -P 0x62 40M 1M');
  const hostOne = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols-one', siteId: one, kind: 'volumes', location: volsOne, tenantId: acme });
  const hostDr = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols-dr', siteId: dr, kind: 'volumes', location: volsDr, tenantId: acme });
  assert.equal((await admin.send('POST', '/v1/hosts', { name: 'vols-other', siteId: dr, kind: 'volumes', location: volsOther, tenantId: other })).status, 201);
  assert.equal((await admin.send('POST', `/v1/hosts/${hostOne.body.id}/discover`)).status, 200);
  const bankOne = join(dir, 'bank-one');
  const bank = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'bank-one', siteId: one, location: bankOne, passphrase: BANK_PASSPHRASE, create: true });
  assert.equal(bank.status, 201, JSON.stringify(bank.body));

  const resource = (await alice.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'db.qcow2')!;
  const backup = await alice.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource.id], bankId: bank.body.id });
  assert.equal((await alice.finished(backup.body.id)).state, 'succeeded');
  const checkpoint = (await alice.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${resource.id}`)).body.items[0]!;

  // Before site two holds a copy, a restore there would read site one's bank.
  const hostsUrl = `/v1/checkpoints/${checkpoint.id}/restore-hosts`;
  let hosts = (await alice.get<{ items: RestoreHostJson[] }>(hostsUrl)).body.items;
  assert.deepEqual(hosts.map((h) => [h.name, h.siteName, h.original, h.bank.name]), [['vols-one', 'local', true, 'bank-one'], ['vols-dr', 'dr', false, 'bank-one']],
    'the tenant sees its own hosts, the original first, and not another tenant\'s');
  assert.equal((await victor.get(hostsUrl)).status, 403, 'a viewer does not restore');
  assert.equal((await mallory.get(hostsUrl)).status, 404, 'another tenant does not see the checkpoint');
  assert.equal((await admin.get<{ items: RestoreHostJson[] }>(hostsUrl)).body.items.length, 3, 'an operator may restore to any host of the kind');

  // The bank is copied to site two and attached there with its passphrase; then site one's bank is lost.
  const bankDr = join(dir, 'bank-dr');
  await cp(bankOne, bankDr, { recursive: true });
  const copy = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'bank-dr', siteId: dr, location: bankDr, passphrase: BANK_PASSPHRASE });
  assert.equal(copy.status, 201, JSON.stringify(copy.body));
  hosts = (await alice.get<{ items: RestoreHostJson[] }>(hostsUrl)).body.items;
  assert.deepEqual(hosts.map((h) => [h.name, h.bank.name]), [['vols-one', 'bank-one'], ['vols-dr', 'bank-dr']]);
  await rename(bankOne, `${bankOne}.lost`);

  const otherHost = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/hosts')).body.items.find((h) => h.name === 'vols-other')!;
  assert.equal((await alice.send('POST', '/v1/restores', { checkpointId: checkpoint.id, target: { mode: 'new', name: 'db.qcow2', hostId: otherHost.id } })).status, 404,
    'another tenant\'s host is not the tenant\'s to restore to');
  const restore = await alice.send<{ id: string }>('POST', '/v1/restores', { checkpointId: checkpoint.id, target: { mode: 'new', name: 'db-dr.qcow2', hostId: hostDr.body.id } });
  assert.equal(restore.status, 202, JSON.stringify(restore.body));
  const done = await alice.finished(restore.body.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.ok(done.log.some((l) => /reading from bank bank-dr/.test(l.message)), JSON.stringify(done.log));
  await qemu('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', volume, join(volsDr, 'db-dr.qcow2')]);
});

test('a copy that does not hold the checkpoint yet gives way to the checkpoint\'s own bank', async (t) => {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const one = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const dr = (await admin.send<{ id: string }>('POST', '/v1/sites', { name: 'dr' })).body.id;
  const [volsOne, volsDr] = [join(dir, 'vols-one'), join(dir, 'vols-dr')];
  for (const d of [volsOne, volsDr]) await mkdir(d);
  const volume = join(volsOne, 'app.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '32M']);
  await qemuWrite(volume, 'write -P 0x71 1M 2M');
  const hostOne = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols-one', siteId: one, kind: 'volumes', location: volsOne });
  const hostDr = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols-dr', siteId: dr, kind: 'volumes', location: volsDr });
  assert.equal((await admin.send('POST', `/v1/hosts/${hostOne.body.id}/discover`)).status, 200);
  const bankOne = join(dir, 'bank-one'), bankDr = join(dir, 'bank-dr');
  const bank = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'bank-one', siteId: one, location: bankOne, passphrase: BANK_PASSPHRASE, create: true });
  // The copy is taken before the backup: it lacks the checkpoint, as a replica that has not caught up would.
  await cp(bankOne, bankDr, { recursive: true });
  assert.equal((await admin.send('POST', '/v1/banks', { name: 'bank-dr', siteId: dr, location: bankDr, passphrase: BANK_PASSPHRASE })).status, 201);

  const resource = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'app.qcow2')!;
  assert.equal((await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource.id], bankId: bank.body.id })).body.id)).state, 'succeeded');
  const checkpoint = (await admin.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${resource.id}`)).body.items[0]!;
  const done = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/restores', { checkpointId: checkpoint.id, target: { mode: 'new', name: 'app-dr.qcow2', hostId: hostDr.body.id } })).body.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.ok(done.log.some((l) => l.level === 'warning' && /bank bank-dr cannot give checkpoint/.test(l.message)), JSON.stringify(done.log));
  await qemu('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', volume, join(volsDr, 'app-dr.qcow2')]);
});
