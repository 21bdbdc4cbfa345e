// Operations waiting for a slot, on the PostgreSQL server: a host or bank limited to one runs one
// operation; the others are told why they wait, and when the one running ends, the first waiter
// (people's before schedules', then the oldest) is given a job due now. A stale job does nothing. The
// sweep's window moves past operations it found waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { openCatalog } from '../../src/catalog/catalog.ts';
import { addBank, createSite } from '../../src/catalog/banks.ts';
import { createOperation, deferOperation, findOperation, finishOperation, lookedAt, operationLog, operationsToSweep, startAttempt, wakeWaiter, type Wait } from '../../src/catalog/operations.ts';
import { addHost, recordDiscovery, setHostLimit } from '../../src/catalog/resources.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { freshDatabase } from '../testkit/postgres.ts';

test('a full host or bank makes operations wait; an ending wakes the first waiter', async (t) => {
  const catalog = await openCatalog({ databaseUrl: await freshDatabase(t) });
  t.after(() => catalog.close());
  const db = catalog.db;
  const site = await createSite(db, 'here');
  const bank = await addBank(db, new MasterKey(randomBytes(32)), { name: 'b', siteId: site.id, location: '/nowhere', bankUuid: 'u', passphrase: 'p' });
  const host = await addHost(db, { name: 'vols', siteId: site.id, kind: 'files', location: '/srv', tenantId: null });
  await recordDiscovery(db, host, [{ type: 'fileset', id: '/srv/a', name: 'a' }]);
  const resourceId = (await db.selectFrom('resources').select('id').executeTakeFirstOrThrow()).id;
  await setHostLimit(db, host.id, 1);

  const make = async (scheduled: boolean) => (await createOperation(db, { tenantId: null, type: 'backup', request: { resourceIds: [resourceId], bankId: bank.id }, createdBy: null, scheduled }))!;
  const running = await make(false), oldScheduled = await make(true), person = await make(false);
  const started = await startAttempt(db, running.row.id, running.jobId);
  assert.equal((started as { state: string }).state, 'running');

  // The host is full: both wait, saying why, once however often they look.
  for (const op of [oldScheduled, person]) {
    const wait = await startAttempt(db, op.row.id, op.jobId) as Wait;
    assert.equal(wait.waitFor, 'host vols runs 1 operation(s) at once, its limit');
    assert.equal(wait.waits, 0);
    const later = randomUUID();
    assert.ok(await deferOperation(db, op.row.id, later, wait.waitFor, new Date(Date.now() + 60_000)));
    assert.equal(await startAttempt(db, op.row.id, op.jobId), undefined, 'the job replaced does nothing');
    assert.equal(((await startAttempt(db, op.row.id, later)) as Wait).waits, 1);
    assert.ok(await deferOperation(db, op.row.id, later, wait.waitFor, new Date(Date.now() + 60_000)));
    assert.deepEqual((await operationLog(db, op.row.id)).map((l) => l.message), ['waiting: host vols runs 1 operation(s) at once, its limit']);
  }
  assert.equal(await wakeWaiter(db, running.row.id), undefined, 'nothing is woken while the operation runs');

  // It ends: the person's operation, though newer, goes first, due now.
  await finishOperation(db, running.row.id, 'succeeded', {});
  const woken = await wakeWaiter(db, running.row.id);
  assert.equal(woken?.id, person.row.id);
  const row = await db.selectFrom('operations').select(['job_id', 'due_at']).where('id', '=', person.row.id).executeTakeFirstOrThrow();
  assert.equal(row.job_id, woken.jobId);
  assert.ok(row.due_at.getTime() <= Date.now() + 1000, 'due now');
  assert.equal(((await startAttempt(db, person.row.id, woken.jobId)) as { state: string }).state, 'running');

  // The bank limited too: the host frees, the bank is full.
  await setHostLimit(db, host.id, null);
  await db.updateTable('banks').set({ max_operations: 1 }).where('id', '=', bank.id).execute();
  const current = (await db.selectFrom('operations').select('job_id').where('id', '=', oldScheduled.row.id).executeTakeFirstOrThrow()).job_id!;
  assert.equal(((await startAttempt(db, oldScheduled.row.id, current)) as Wait).waitFor, 'bank b runs 1 operation(s) at once, its limit');
  await finishOperation(db, person.row.id, 'failed', { error: 'it broke' });
  const next = await wakeWaiter(db, person.row.id);
  assert.equal(next?.id, oldScheduled.row.id);
  assert.equal(((await startAttempt(db, oldScheduled.row.id, next.jobId)) as { state: string }).state, 'running');
  assert.equal((await findOperation(db, oldScheduled.row.id))!.attempts, 1);

  // The sweep looks at queued operations overdue by five minutes; one it found waiting in the queue
  // goes to the back, so that many waiting (for an agent, say) cannot hide one whose job was lost.
  const [x, y] = [await make(true), await make(true)];
  const due = () => operationsToSweep(db).then((ops) => ops.filter((o) => o.state === 'queued').map((o) => o.id));
  assert.deepEqual(await due(), [], 'nothing overdue yet');
  await db.updateTable('operations').set({ due_at: new Date(Date.now() - 600_000) }).where('id', 'in', [x.row.id, y.row.id]).execute();
  assert.deepEqual((await due()).sort(), [x.row.id, y.row.id].sort());
  await lookedAt(db, [x.row.id]);
  assert.deepEqual(await due(), [y.row.id]);
});
