// Scheduler turns on the PostgreSQL server (a fresh database): three nodes turning at once make each
// plan's tick once; ticks missed while no node ran collapse into one run; a tick outside the backup
// window, or before the plan was made, makes nothing; a tenant over quota gets a failed operation
// that says why; a plan with resources on a host that agents serve gets a run for that host apart, and
// no more of them pile up while its agents are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openCatalog, type Catalog } from '../../src/catalog/catalog.ts';
import { addBank, createSite, setMaintenance } from '../../src/catalog/banks.ts';
import { operationLog } from '../../src/catalog/operations.ts';
import { createPlan } from '../../src/catalog/plans.ts';
import { createPolicy } from '../../src/catalog/policies.ts';
import { setQuota } from '../../src/catalog/quotas.ts';
import { addHost, assignResource, recordDiscovery, registerAgent } from '../../src/catalog/resources.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { createTenant } from '../../src/catalog/tenants.ts';
import { localTime } from '../../src/core/schedule.ts';
import { schedulerTurn } from '../../src/jobs/scheduler.ts';
import { freshDatabase } from '../testkit/postgres.ts';

async function scheduledOps(db: Catalog['db']) {
  return db.selectFrom('operations').select(['id', 'type', 'state', 'error', 'dedupe_key', 'request']).where('scheduled', '=', true).orderBy('dedupe_key').execute();
}

/** Pretends the cluster was down since `minutes` ago, and the plans were made before. */
async function rewind(db: Catalog['db'], minutes: number): Promise<void> {
  await sql`update scheduler_clock set through = now() - make_interval(mins => ${minutes})`.execute(db);
  await sql`update plans set created_at = now() - interval '1 day'`.execute(db);
  await sql`update banks set created_at = now() - interval '1 day'`.execute(db);
}

test('scheduler turns: once per tick across nodes, missed ticks collapsed, windows, plan age and quotas', async (t) => {
  const url = await freshDatabase(t);
  const nodes = await Promise.all([1, 2, 3].map(() => openCatalog({ databaseUrl: url })));
  t.after(() => Promise.all(nodes.map((n) => n.close())));
  const db = nodes[0]!.db;

  const site = await createSite(db, 'here');
  const bank = await addBank(db, new MasterKey(randomBytes(32)), { name: 'b', siteId: site.id, location: '/nowhere', bankUuid: 'u', passphrase: 'p' });
  const host = await addHost(db, { name: 'files', siteId: site.id, kind: 'files', location: '/srv', tenantId: null });
  await recordDiscovery(db, host, ['a', 'b', 'c', 'd'].map((n) => ({ type: 'fileset' as const, id: `/srv/${n}`, name: n })));
  const far = await addHost(db, { name: 'far', siteId: site.id, kind: 'files', location: '/far', tenantId: null });
  await recordDiscovery(db, far, [{ type: 'fileset', id: '/far/e', name: 'e' }]);
  await registerAgent(db, ['far']);
  const resources = new Map((await db.selectFrom('resources').select(['id', 'name']).execute()).map((r) => [r.name, r.id]));
  const acme = await createTenant(db, 'acme'), poor = await createTenant(db, 'poor');
  for (const [name, tenant] of [['a', acme], ['b', acme], ['c', poor], ['d', acme], ['e', acme]] as const) await assignResource(db, resources.get(name)!, tenant.id);

  const everyMinute = await createPolicy(db, null, { name: 'every minute', schedule: '* * * * *', retention: { keepLast: 3 } });
  // A window that the current hour is never in: its ticks start nothing.
  const hour = Math.floor(localTime(new Date(), 'UTC').minutes / 60);
  const closed = { start: `${String((hour + 2) % 24).padStart(2, '0')}:00`, end: `${String((hour + 3) % 24).padStart(2, '0')}:00` };
  const outside = await createPolicy(db, null, { name: 'outside', schedule: '* * * * *', retention: { keepLast: 3 }, timing: { window: closed } });
  const a = await createPlan(db, acme.id, { name: 'a', policyId: everyMinute.id, bankId: bank.id, resourceIds: [resources.get('a')!, resources.get('b')!] });
  await createPlan(db, acme.id, { name: 'windowed', policyId: outside.id, bankId: bank.id, resourceIds: [resources.get('d')!] });
  const c = await createPlan(db, poor.id, { name: 'c', policyId: everyMinute.id, bankId: bank.id, resourceIds: [resources.get('c')!] });
  const split = await createPlan(db, acme.id, { name: 'split', policyId: everyMinute.id, bankId: bank.id, resourceIds: [resources.get('d')!, resources.get('e')!] });
  await setQuota(db, poor.id, { maxResources: null, maxCheckpoints: 0, maxStoredBytes: null });
  await setMaintenance(db, bank.id, { gcSchedule: 'hourly at :00' });

  // Down for three hours: three nodes turn at once; each plan's 180 missed ticks make one run, once.
  await rewind(db, 180);
  const turns = await Promise.all(nodes.map((n) => schedulerTurn(n.db)));
  assert.equal(turns.filter((x) => x && (x.queued.length || x.refused.length)).length, 1, 'one node made the runs');
  let ops = await scheduledOps(db);
  const backups = ops.filter((o) => o.type === 'backup');
  assert.deepEqual(backups.map((o) => (o.request as { planId: string }).planId).sort(), [a.id, c.id, split.id, split.id].sort(),
    'one run per plan (two for the plan on two nodes\' hosts); none for the plan outside its window');
  const parts = backups.filter((o) => (o.request as { planId: string }).planId === split.id);
  assert.deepEqual(parts.map((o) => [o.dedupe_key!.split('#')[1], (o.request as { resourceIds: string[] }).resourceIds]).sort(),
    [[far.id, [resources.get('e')]], ['servers', [resources.get('d')]]].sort(), 'the agent\'s host apart from the rest');
  const tick = backups[0]!.dedupe_key!.split('@')[1]!.split('#')[0]!;
  assert.equal(new Date(tick).getUTCSeconds(), 0);
  assert.ok(Date.now() - Date.parse(tick) < 61_000, `the run is for the latest missed tick, ${tick}`);
  assert.deepEqual((backups.find((o) => (o.request as { planId: string }).planId === a.id)!.request as { resourceIds: string[] }).resourceIds.sort(), [resources.get('a'), resources.get('b')].sort());
  assert.equal(ops.filter((o) => o.type === 'gc').length, 1, 'the bank\'s hourly gc missed while down runs once');

  // Over quota: made failed, saying why and what to do.
  const refused = backups.find((o) => (o.request as { planId: string }).planId === c.id)!;
  assert.equal(refused.state, 'failed');
  assert.match(refused.error!, /quota is 0: delete checkpoints, or ask an operator/);
  assert.match((await operationLog(db, refused.id)).map((l) => l.message).join('\n'), /quota is 0/);
  assert.equal(backups.find((o) => o.id !== refused.id)!.state, 'queued');

  // Another turn right after makes nothing new: the clock moved on.
  await Promise.all(nodes.map((n) => schedulerTurn(n.db)));
  assert.equal((await scheduledOps(db)).length, ops.length);

  // A plan made after the latest tick waits for the next one.
  await sql`update scheduler_clock set through = now() - interval '2 minutes'`.execute(db);
  const late = await createPlan(db, acme.id, { name: 'late', policyId: everyMinute.id, bankId: bank.id, resourceIds: [resources.get('d')!] });
  // Made "a minute from now": no tick the turn can see is after it, whatever second this runs at.
  await sql`update plans set created_at = now() + interval '1 minute' where id = ${late.id}`.execute(db);
  await schedulerTurn(db);
  ops = await scheduledOps(db);
  assert.equal(ops.filter((o) => (o.request as { planId?: string }).planId === late.id).length, 0, 'no run for a tick before the plan existed');

  // The agents of "far" gone for ten minutes: while its backup of the split plan waits for them, later
  // ticks add none (one runs when an agent is back, not one per tick missed).
  await sql`update hosts set agent_seen_at = now() - interval '10 minutes' where id = ${far.id}`.execute(db);
  const farOp = () => db.selectFrom('operations').select(['id', 'state', 'dedupe_key']).where('host_id', '=', far.id).where('scheduled', '=', true).orderBy('created_at').execute();
  const [waiting] = await farOp();
  assert.equal(waiting!.state, 'queued');
  await sql`update operations set dedupe_key = 'plan:older-tick' where id = ${waiting!.id}`.execute(db);
  await sql`update scheduler_clock set through = now() - interval '2 minutes'`.execute(db);
  await schedulerTurn(db);
  assert.deepEqual((await farOp()).map((o) => o.id), [waiting!.id], 'no second backup piles up for the gone agent');
  await sql`update operations set state = 'cancelled', finished_at = now() where id = ${waiting!.id}`.execute(db);
  await sql`update scheduler_clock set through = now() - interval '2 minutes'`.execute(db);
  await schedulerTurn(db);
  const after = await farOp();
  assert.equal(after.length, 2, 'with none waiting, the next tick makes one');
  assert.equal(after[1]!.state, 'queued');
});
