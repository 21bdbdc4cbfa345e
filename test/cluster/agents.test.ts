// Host affinity on a PostgreSQL catalog: `cairn worker --host there` becomes the agent of host "there";
// from then on its operations (backups of its volumes, restores onto it) run on the agent and on no
// other node, wait while no agent runs, and go on when one starts; a host without an agent is served
// by the servers. A backup mixing both is refused. An agent for a host the catalog lacks says so and stops.
// A host whose agent is gone says so in its operations' logs, and an operator can give it back to the servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startServer, startWorker } from '../testkit/cairn-server.ts';
import { signIn, type Api, type OperationJson } from '../testkit/api-client.ts';
import { makeImage, sha256 } from '../testkit/files.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for agents';

/** The pid of the node that ran the operation's last attempt, from its log. */
function ranOn(op: OperationJson): number {
  const attempts = op.log.map((l) => /^attempt \d+ on node \S+:(\d+)$/.exec(l.message)?.[1]).filter(Boolean);
  return Number(attempts.at(-1));
}

async function backup(api: Api, resourceId: string): Promise<string> {
  const res = await api.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resourceId] });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id;
}

test('an agent runs its host\'s operations and no other node does; they wait for it', async (t) => {
  const dir = await tempDir(t);
  const env = { DATABASE_URL: await freshDatabase(t), CAIRN_MASTER_KEY: randomBytes(32).toString('base64'), CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD };
  for (const side of ['here', 'there']) {
    await mkdir(join(dir, side));
    await makeImage(join(dir, side, `${side}.img`), 8 << 20, [[0, 1 << 20], [4 << 20, 1 << 20]]);
  }
  const server = await startServer(t, ['--data', join(dir, 'server')], env);
  const api = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await api.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  for (const side of ['here', 'there']) {
    const host = await api.send<{ id: string }>('POST', '/v1/hosts', { name: side, siteId: site, kind: 'volumes', location: join(dir, side) });
    await api.send('POST', `/v1/hosts/${host.body.id}/discover`);
  }
  const resources = (await api.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items;
  const here = resources.find((r) => r.name === 'here.img')!, there = resources.find((r) => r.name === 'there.img')!;

  await assert.rejects(startWorker(t, ['--data', join(dir, 'nowhere'), '--host', 'nosuch'], env), /there is no host named nosuch: an operator adds it first/);

  const agent = await startWorker(t, ['--data', join(dir, 'agent'), '--host', 'there'], env);
  assert.match(agent.output(), /running operations of there, as their agent/);
  const hosts = (await api.get<{ items: { name: string; agentSeenAt: string | null }[] }>('/v1/hosts')).body.items;
  assert.ok(hosts.find((h) => h.name === 'there')!.agentSeenAt, 'the agent said it serves "there"');
  assert.equal(hosts.find((h) => h.name === 'here')!.agentSeenAt, null);

  // One operation runs on one node: resources of the agent's host cannot share one with the server's.
  const mixed = await api.send<{ detail: string }>('POST', '/v1/checkpoints', { resourceIds: [here.id, there.id] });
  assert.equal(mixed.status, 400);
  assert.match(mixed.body.detail, /served by different nodes \(the servers, the agents of there\): back up each host's resources apart/);

  // Each host's backup runs where it must; several of each, so that a node picking the wrong one would show.
  const ids = [await backup(api, there.id), await backup(api, here.id), await backup(api, there.id), await backup(api, here.id)];
  const ops = await Promise.all(ids.map((id) => api.finished(id)));
  for (const op of ops) assert.equal(op.state, 'succeeded', JSON.stringify(op));
  assert.deepEqual(ops.map(ranOn), [agent.child.pid, server.child.pid, agent.child.pid, server.child.pid], 'there\'s on its agent, here\'s on the server');

  // No agent running: there's backup waits, and the server does not take it.
  await agent.stop();
  const waiting = await backup(api, there.id);
  await new Promise((r) => setTimeout(r, 8_000));
  assert.equal((await api.get<OperationJson>(`/v1/operations/${waiting}`)).body.state, 'queued', 'no node but an agent runs it');
  const again = await startWorker(t, ['--data', join(dir, 'agent'), '--host', 'there'], env);
  const done = await api.finished(waiting);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.equal(ranOn(done), again.child.pid);

  // A restore onto the agent's host runs on the agent, and gives back the bytes.
  const cp = (await api.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${there.id}&status=available`)).body.items.at(-1)!;
  const restore = await api.finished((await api.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'new', name: 'back.img' } })).body.id);
  assert.equal(restore.state, 'succeeded', JSON.stringify(restore));
  assert.equal(ranOn(restore), again.child.pid);
  assert.equal(await sha256(join(dir, 'there', 'back.img')), await sha256(join(dir, 'there', 'there.img')));

  // The host is given back to the servers: refused while its agent runs; once the agent is gone (heard
  // from ten minutes ago), a waiting backup says what it waits for, and the release sends it to the server.
  const thereId = (await api.get<{ items: { id: string; name: string }[] }>('/v1/hosts')).body.items.find((h) => h.name === 'there')!.id;
  const busy = await api.send<{ detail: string }>('PATCH', `/v1/hosts/${thereId}`, { agent: false });
  assert.equal(busy.status, 409, JSON.stringify(busy.body));
  assert.match(busy.body.detail, /an agent of host there was heard from at .*: stop it \(cairn worker --host there\) and try again in 90 s/);
  assert.equal((await api.send('PATCH', `/v1/hosts/${thereId}`, { agent: true })).status, 400, 'only false releases');
  assert.equal((await api.send('PATCH', `/v1/hosts/${thereId}`, {})).status, 400);
  await again.stop();
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  await db.query(`update hosts set agent_seen_at = now() - interval '10 minutes' where id = $1`, [thereId]);
  await db.end();
  const stranded = await backup(api, there.id);
  const log = (await api.get<OperationJson>(`/v1/operations/${stranded}`)).body.log.map((l) => l.message);
  assert.ok(log.some((m) => /^waiting: no agent of host there has been heard from since .*; start one \(cairn worker --host there\) on a machine that reaches it$/.test(m)), log.join('\n'));
  const released = await api.send<{ agentSeenAt: string | null }>('PATCH', `/v1/hosts/${thereId}`, { agent: false });
  assert.equal(released.status, 200, JSON.stringify(released.body));
  assert.equal(released.body.agentSeenAt, null);
  const ran = await api.finished(stranded);
  assert.equal(ran.state, 'succeeded', JSON.stringify(ran));
  assert.equal(ranOn(ran), server.child.pid, 'the server runs the released host\'s backup');
});
