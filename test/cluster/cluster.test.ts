// Three nodes on one PostgreSQL catalog (the server at 127.0.0.1:5432, a fresh database): two servers
// and a worker. Any server answers the API; the node running a backup is killed with SIGKILL and
// another one retries it, which ends with exactly one available checkpoint whose restore equals the
// source; each tick of a plan's schedule makes one backup across the cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, startWorker } from '../testkit/cairn-server.ts';
import { signIn, type OperationJson } from '../testkit/api-client.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { randomVolume } from '../testkit/files.ts';
import { cairn } from '../testkit/cli.ts';

const ADMIN_PASSWORD = 'operator passphrase for the cluster';

test('a cluster of three nodes: any serves the API, a node killed mid-backup is taken over, each tick runs once', async (t) => {
  const dir = await tempDir(t);
  const env = {
    DATABASE_URL: await freshDatabase(t), CAIRN_MASTER_KEY: randomBytes(32).toString('base64'), CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_HEARTBEAT_SECONDS: '10',
  };
  const vols = join(dir, 'vols');
  await mkdir(vols);
  await randomVolume(join(vols, 'big.img'), 1 << 30);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'small.qcow2'), '16M']);
  await qemuWrite(join(vols, 'small.qcow2'), 'write -P 0x44 0 1M');

  // A serves the API and runs nothing; B is a worker; C serves the API and runs operations too.
  const a = await startServer(t, ['--data', join(dir, 'a')], { ...env, CAIRN_WORKERS: '0' });
  const b = await startWorker(t, ['--data', join(dir, 'b')], env);
  const c = await startServer(t, ['--data', join(dir, 'c')], env);
  const api = await signIn(a.url, 'admin', ADMIN_PASSWORD);
  const other = await signIn(c.url, 'admin', ADMIN_PASSWORD);
  assert.equal((await other.get<{ items: unknown[] }>('/v1/banks')).body.items.length, 1, 'one bank for the cluster, made by the first node');

  const site = (await api.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await api.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols });
  await api.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resources = (await other.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items;
  const big = resources.find((r) => r.name === 'big.img')!, small = resources.find((r) => r.name === 'small.qcow2')!;

  // A plan on the small volume ticks every minute while the rest goes on.
  const tenant = (await api.send<{ id: string }>('POST', '/v1/tenants', { name: 't' })).body.id;
  await api.send('PATCH', `/v1/resources/${small.id}`, { tenantId: tenant });
  const policy = (await api.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'm', schedule: '* * * * *', retention: { keepLast: 10 } })).body.id;
  assert.equal((await api.send('POST', '/v1/plans', { tenantId: tenant, name: 'p', policyId: policy, resourceIds: [small.id] })).status, 201);

  const op = (await api.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [big.id] })).body.id;
  let running: OperationJson;
  for (;;) {
    running = (await api.get<OperationJson>(`/v1/operations/${op}`)).body;
    assert.notEqual(running.state, 'succeeded', 'the backup ended before the kill: make the volume larger');
    if (Number(running.progress?.doneBytes ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = Number(/^attempt 1 on node \S+:(\d+)$/m.exec(running.log.map((l) => l.message).join('\n'))?.[1]);
  assert.ok([b.child.pid, c.child.pid].includes(pid), `the backup runs on a node with workers: ${pid}`);
  const killed = pid === b.child.pid ? b : c;
  killed.child.kill('SIGKILL');
  await killed.stop();

  const ended = await api.finished(op);
  assert.equal(ended.state, 'succeeded', JSON.stringify(ended));
  const attempt2 = ended.log.find((l) => /^attempt 2 on node/.test(l.message));
  assert.ok(attempt2 && !attempt2.message.endsWith(`:${pid}`), `retried on another node: ${JSON.stringify(ended.log)}`);
  const cps = (await api.get<{ items: { id: string; status: string }[] }>(`/v1/checkpoints?resourceId=${big.id}`)).body.items;
  assert.deepEqual(cps.map((x) => x.status), ['available'], 'exactly one checkpoint, nothing half-made');
  const restore = await api.finished((await api.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cps[0]!.id, target: { mode: 'new', name: 'back.img' } })).body.id);
  assert.equal(restore.state, 'succeeded', JSON.stringify(restore));
  await qemu('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'raw', join(vols, 'big.img'), join(vols, 'back.img')]);

  // Ticks: wait for two scheduled backups; no minute has two.
  const deadline = Date.now() + 200_000;
  let scheduled: { createdAt: string; state: string }[] = [];
  while (Date.now() < deadline) {
    scheduled = (await api.get<{ items: { createdAt: string; state: string; scheduled: boolean }[] }>('/v1/operations?type=backup')).body.items.filter((o) => o.scheduled);
    if (scheduled.length >= 2 && scheduled.every((o) => o.state === 'succeeded')) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.ok(scheduled.length >= 2, JSON.stringify(scheduled));
  const minutes = scheduled.map((o) => o.createdAt.slice(0, 16));
  assert.equal(new Set(minutes).size, minutes.length, `one backup per tick: ${minutes.join(' ')}`);
});

test('a worker without a PostgreSQL catalog says what it needs', async () => {
  const r = await cairn(['worker'], { env: { DATABASE_URL: undefined } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /a worker joins a cluster on PostgreSQL: set DATABASE_URL/);
});
