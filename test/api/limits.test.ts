// Limits on operations running at once: three backups on one host overlap without limits; with the
// host limited to one, or the bank limited to one, they run one after another (the bank's waiting
// operations say so in their log). Bad limits are refused and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { backupsTogether, mostAtOnce, spans } from '../testkit/overlap.ts';
import { randomVolume } from '../testkit/files.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for limits';

test('limits per host and per bank: backups that overlap run one at a time when limited', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  for (const name of ['a', 'b', 'c']) await randomVolume(join(vols, `${name}.img`), 320 << 20);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_WORKERS: '4' });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const bank = (await admin.get<{ items: { id: string; maxOperations: number | null }[] }>('/v1/banks')).body.items[0]!;
  assert.equal(bank.maxOperations, null, 'no limit unless set');
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols })).body.id;
  await admin.send('POST', `/v1/hosts/${host}/discover`);
  const resources = (await admin.get<{ items: { id: string }[] }>('/v1/resources?type=volume')).body.items.map((r) => r.id);
  assert.equal(resources.length, 3);

  const free = await backupsTogether(admin, resources);
  assert.ok(mostAtOnce(free) >= 2, `without limits the backups overlap: ${spans(free)}`);

  // Bad limits: refused, nothing changed; only operators set them.
  for (const bad of [0, 1000, 1.5, 'two']) assert.equal((await admin.send('PATCH', `/v1/hosts/${host}`, { maxOperations: bad })).status, 400, `maxOperations ${bad}`);
  assert.equal((await admin.send('PATCH', `/v1/banks/${bank.id}`, {})).status, 400);
  assert.equal((await admin.send('PATCH', '/v1/hosts/no-such-host', { maxOperations: 1 })).status, 404);
  assert.equal((await admin.send('PATCH', '/v1/banks/no-such-bank', { maxOperations: 1 })).status, 404);
  const ann = await admin.send<{ id: string }>('POST', '/v1/users', { username: 'ann', password: 'ann has a long password' });
  assert.equal(ann.status, 201);
  const user = await signIn(server.url, 'ann', 'ann has a long password');
  assert.equal((await user.send('PATCH', `/v1/hosts/${host}`, { maxOperations: 1 })).status, 403);
  assert.equal((await user.send('PATCH', `/v1/banks/${bank.id}`, { maxOperations: 1 })).status, 403);
  assert.equal((await admin.get<{ items: { maxOperations: number | null }[] }>('/v1/hosts')).body.items[0]!.maxOperations, null);

  const limited = await admin.send<{ maxOperations: number }>('PATCH', `/v1/hosts/${host}`, { maxOperations: 1 });
  assert.equal(limited.status, 200, JSON.stringify(limited.body));
  assert.equal(limited.body.maxOperations, 1);
  const byHost = await backupsTogether(admin, resources);
  assert.equal(mostAtOnce(byHost), 1, `one at a time on the host: ${spans(byHost)}`);

  await admin.send('PATCH', `/v1/hosts/${host}`, { maxOperations: null });
  const bankLimited = await admin.send<{ maxOperations: number; maintenance: Record<string, unknown> }>('PATCH', `/v1/banks/${bank.id}`, { maxOperations: 1 });
  assert.equal(bankLimited.status, 200, JSON.stringify(bankLimited.body));
  assert.equal(bankLimited.body.maxOperations, 1);
  const byBank = await backupsTogether(admin, resources);
  assert.equal(mostAtOnce(byBank), 1, `one at a time in the bank: ${spans(byBank)}`);
  const waited = byBank.flatMap((o) => o.log.map((l) => l.message)).filter((m) => m.startsWith('waiting: '));
  assert.ok(waited.length >= 1, 'an operation that found the bank full says it waits');
  assert.match(waited[0]!, /^waiting: bank local runs 1 operation\(s\) at once, its limit$/);
});
