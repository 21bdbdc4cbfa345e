// A catalog from before the scheduler turns held a pg-boss cron per plan, firing into a queue named
// "ticks" that nothing works any more: starting the queue removes them, so they fire no more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgBoss } from 'pg-boss';
import { JobQueue } from '../../src/jobs/queue.ts';
import { freshDatabase } from '../testkit/postgres.ts';

test('the crons of the former scheduler are removed when the queue starts', async (t) => {
  const url = await freshDatabase(t);
  const old = new PgBoss({ connectionString: url, schema: 'pgboss' });
  old.on('error', () => undefined);
  await old.start();
  t.after(() => old.stop({ graceful: false }));
  await old.createQueue('ticks');
  await old.schedule('ticks', '* * * * *', { planId: 'p1' }, { key: 'plan-p1' });
  await old.send('ticks', { planId: 'p1' });
  assert.equal((await old.getSchedules('ticks')).length, 1);
  await old.stop({ graceful: false });

  const queue = await JobQueue.start({ kind: 'postgres', url });
  await queue.stop();
  const after = new PgBoss({ connectionString: url, schema: 'pgboss' });
  after.on('error', () => undefined);
  await after.start();
  t.after(() => after.stop({ graceful: false }));
  assert.equal(await after.getQueue('ticks'), null, 'the queue is gone, with its jobs');
  assert.deepEqual(await after.getSchedules(), [], 'no cron is left to fire');
});
