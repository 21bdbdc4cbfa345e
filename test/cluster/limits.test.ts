// Limits across the cluster: two servers on one PostgreSQL catalog, each running four operations at
// once. With the host limited to one, six backups of its volumes run one at a time whichever node
// fetches them; with the bank limited to two, no more than two run, and those that found it full say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { backupsTogether, mostAtOnce, spans } from '../testkit/overlap.ts';
import { randomVolume } from '../testkit/files.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for cluster limits';

test('host and bank limits hold across two nodes on PostgreSQL', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  for (let i = 0; i < 6; i++) await randomVolume(join(vols, `v${i}.img`), 96 << 20);
  const env = { DATABASE_URL: await freshDatabase(t), CAIRN_MASTER_KEY: randomBytes(32).toString('base64'), CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_WORKERS: '4' };
  const first = await startServer(t, ['--data', join(dir, 'n1')], env);
  await startServer(t, ['--data', join(dir, 'n2')], env);
  const api = await signIn(first.url, 'admin', ADMIN_PASSWORD);
  const site = (await api.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const bank = (await api.get<{ items: { id: string }[] }>('/v1/banks')).body.items[0]!.id;
  const host = (await api.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols })).body.id;
  await api.send('POST', `/v1/hosts/${host}/discover`);
  const resources = (await api.get<{ items: { id: string }[] }>('/v1/resources?type=volume')).body.items.map((r) => r.id);
  assert.equal(resources.length, 6);

  assert.equal((await api.send('PATCH', `/v1/hosts/${host}`, { maxOperations: 1 })).status, 200);
  const byHost = await backupsTogether(api, resources);
  assert.equal(mostAtOnce(byHost), 1, `one at a time on the host: ${spans(byHost)}`);

  await api.send('PATCH', `/v1/hosts/${host}`, { maxOperations: null });
  assert.equal((await api.send('PATCH', `/v1/banks/${bank}`, { maxOperations: 2 })).status, 200);
  const byBank = await backupsTogether(api, resources);
  assert.ok(mostAtOnce(byBank) <= 2, `two at most in the bank: ${spans(byBank)}`);
  const waited = byBank.flatMap((o) => o.log.map((l) => l.message)).filter((m) => m.startsWith('waiting: '));
  assert.ok(waited.every((m) => m === 'waiting: bank local runs 2 operation(s) at once, its limit'), waited.join('\n'));
});
