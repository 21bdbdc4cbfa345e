// The plan form's pure rules, on their own: the RPO typed in minutes, hours or days (empty: from the
// policy's schedule), and a change sent as only the fields that differ, so that an edit does not undo
// what another page changed meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPlanBody, planChanges, planDraftOf, rpoFields, rpoSecondsOf } from '../../web/src/plan-draft.ts';
import type { Plan } from '../../web/src/types.ts';

const plan: Plan = { id: 'p1', tenantId: 't', name: 'nightly', policyId: 'pol', bankId: 'local', enabled: true, rpoSeconds: 7200, resourceIds: ['r1', 'r2'] };

test('the RPO in the largest whole unit, and back to seconds; empty is from the schedule (null)', () => {
  assert.deepEqual(rpoFields(7200), { rpoValue: '2', rpoUnit: 'hours' });
  assert.deepEqual(rpoFields(172_800), { rpoValue: '2', rpoUnit: 'days' });
  assert.deepEqual(rpoFields(5400), { rpoValue: '90', rpoUnit: 'minutes' });
  assert.deepEqual(rpoFields(90), { rpoValue: '1.5', rpoUnit: 'minutes' }, 'seconds the API took from elsewhere are kept');
  assert.deepEqual(rpoFields(null), { rpoValue: '', rpoUnit: 'hours' });
  assert.equal(rpoSecondsOf({ rpoValue: '', rpoUnit: 'days' }), null);
  assert.equal(rpoSecondsOf({ rpoValue: '  ', rpoUnit: 'days' }), null);
  assert.equal(rpoSecondsOf({ rpoValue: '1.5', rpoUnit: 'hours' }), 5400);
  assert.equal(rpoSecondsOf({ rpoValue: '1.5', rpoUnit: 'minutes' }), 90);
  assert.equal(rpoSecondsOf(rpoFields(86_400 * 3)), 86_400 * 3);
});

test('a new plan sends everything; an edit only what changed', () => {
  const fresh = planDraftOf(undefined, { policyId: 'pol', bankId: 'local' });
  assert.deepEqual(newPlanBody({ ...fresh, name: ' web ', resourceIds: ['r1'] }), { name: 'web', policyId: 'pol', bankId: 'local', rpoSeconds: null, resourceIds: ['r1'] });

  const d = planDraftOf(plan, { policyId: 'other', bankId: 'other' });
  assert.deepEqual([d.name, d.policyId, d.bankId, d.rpoValue, d.rpoUnit], ['nightly', 'pol', 'local', '2', 'hours'], 'the plan\'s own, not the defaults');
  assert.deepEqual(planChanges(plan, d), {}, 'nothing changed, nothing sent');
  assert.deepEqual(planChanges(plan, { ...d, resourceIds: ['r2', 'r1'] }), {}, 'the same resources in another order');
  assert.deepEqual(planChanges(plan, { ...d, rpoValue: '' }), { rpoSeconds: null });
  assert.deepEqual(planChanges(plan, { ...d, rpoValue: '120', rpoUnit: 'minutes' }), {}, '120 minutes is the 2 hours it had');
  assert.deepEqual(planChanges(plan, { ...d, bankId: 'offsite', rpoValue: '1', rpoUnit: 'days' }), { bankId: 'offsite', rpoSeconds: 86_400 });
  assert.deepEqual(planChanges(plan, { ...d, name: 'nightly ', resourceIds: ['r1'] }), { resourceIds: ['r1'] }, 'a name only trimmed is unchanged');
});
