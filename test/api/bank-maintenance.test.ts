// A bank's upkeep on schedules: verification of a sample (those verified longest ago first), which
// marks each checkpoint verified, or damaged when its data no longer checks; garbage collection, on
// schedule and on demand, which deletes nothing from a damaged bank; metrics that show both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn, type Api } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { webhookReceiver } from '../testkit/webhook-receiver.ts';

const ADMIN_PASSWORD = 'operator passphrase for upkeep';

interface Op { id: string; type: string; state: string; scheduled: boolean; request: { checkpointIds?: string[] }; result: Record<string, unknown> | null }
interface Cp { id: string; verifiedAt: string | null; damaged: boolean }

async function scheduledOf(api: Api, type: string): Promise<Op> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const op = (await api.get<{ items: Op[] }>(`/v1/operations?type=${type}`)).body.items.find((o) => o.scheduled);
    if (op) return op;
    if (Date.now() > deadline) assert.fail(`no scheduled ${type} within two minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function packs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await readdir(dir)) for (const f of await readdir(join(dir, sub))) out.push(join(dir, sub, f));
  return out;
}

test('scheduled verification of a sample and garbage collection; damage found and shown', async (t) => {
  const dir = await tempDir(t);
  const vols = join(dir, 'vols');
  await mkdir(vols);
  const volume = join(vols, 'v.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '16M']);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);
  const resource = (await admin.get<{ items: { id: string }[] }>('/v1/resources')).body.items[0]!.id;
  for (const [i, pattern] of ['0x31', '0x32', '0x33'].entries()) {
    await qemuWrite(volume, `write -P ${pattern} ${i * 2}M 2M`);
    const done = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [resource], full: true })).body.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));
  }
  const bank = (await admin.get<{ items: { id: string }[] }>('/v1/banks')).body.items[0]!.id;
  const receiver = await webhookReceiver(t);
  await admin.send('POST', '/v1/webhooks', { url: receiver.url, events: ['checkpoint.damaged'] });
  assert.match(await (await fetch(`${server.url}/metrics`)).text(), /^cairn_checkpoints_unverified 3$/m);

  const bad = await admin.send<{ detail: string }>('PATCH', `/v1/banks/${bank}`, { maintenance: { verifySchedule: 'every day' } });
  assert.equal(bad.status, 400);
  const set = await admin.send<{ maintenance: Record<string, unknown> }>('PATCH', `/v1/banks/${bank}`, { maintenance: { verifySchedule: '* * * * *', samplePercent: 50, reverifyDays: 7, gcSchedule: '* * * * *' } });
  assert.equal(set.status, 200, JSON.stringify(set.body));

  // Half of three, rounded up: two checkpoints, the oldest first (none was verified yet).
  const verify = await admin.finished((await scheduledOf(admin, 'verify')).id);
  assert.equal(verify.state, 'succeeded', JSON.stringify(verify));
  const cps = (await admin.get<{ items: Cp[] }>(`/v1/checkpoints?resourceId=${resource}`)).body.items;
  assert.deepEqual(cps.map((c) => c.verifiedAt !== null), [true, true, false]);
  assert.ok(cps.every((c) => !c.damaged));
  const gc = await admin.finished((await scheduledOf(admin, 'gc')).id);
  assert.equal(gc.state, 'succeeded', JSON.stringify(gc));
  await admin.send('PATCH', `/v1/banks/${bank}`, { maintenance: {} });

  // Garbage collection on demand, after a checkpoint was deleted.
  await admin.finished((await admin.send<{ id: string }>('DELETE', `/v1/checkpoints/${cps[0]!.id}`)).body.id);
  const now = await admin.finished((await admin.send<{ id: string }>('POST', `/v1/banks/${bank}/gc`)).body.id);
  assert.equal(now.state, 'succeeded', JSON.stringify(now));
  assert.ok(now.log.some((l) => /^deleted \d+ pack\(s\) no checkpoint needs/.test(l.message)), JSON.stringify(now.log));

  // Damage: a byte of every pack flipped; a verification of everything finds each checkpoint damaged.
  for (const p of await packs(join(dir, 'data', 'bank', 'packs'))) {
    const fh = await open(p, 'r+');
    const at = Math.floor((await stat(p)).size / 2), b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
    await fh.close();
  }
  const left = cps.slice(1).map((c) => c.id);
  const all = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/verifications', { checkpointIds: left })).body.id);
  assert.equal(all.state, 'succeeded', JSON.stringify(all));
  assert.equal(all.result?.damaged, 2);
  assert.ok(all.log.some((l) => l.level === 'error' && /damaged/.test(l.message)));
  assert.ok((await admin.get<{ items: Cp[] }>(`/v1/checkpoints?resourceId=${resource}`)).body.items.every((c) => c.damaged));
  assert.match(await (await fetch(`${server.url}/metrics`)).text(), /^cairn_checkpoints_damaged 2$/m);
  const deadline = Date.now() + 30_000;
  while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(receiver.received.map((r) => (JSON.parse(r.body) as { checkpoint: { id: string } }).checkpoint.id).sort(), [...left].sort(), 'a webhook told of each damaged checkpoint');

  // With damage, garbage collection deletes nothing and says why.
  const refused = await admin.finished((await admin.send<{ id: string }>('POST', `/v1/banks/${bank}/gc`)).body.id);
  assert.equal(refused.state, 'failed');
  assert.match(refused.error ?? '', /gc deletes nothing while references are unknown/);
});
