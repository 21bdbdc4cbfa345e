// The policy form's pure rules, on their own: a saved policy opens in the form as it is (its full-on
// weekdays ticked), and the form's fields go back to the API as the body it takes (days Monday first,
// none at all left out, so that a PATCH clears them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyOf, draftOf, timingOf } from '../../web/src/policy-draft.ts';
import type { Policy } from '../../web/src/types.ts';

const policy = (timing: Policy['timing']): Policy => ({
  id: 'p', tenantId: 't', name: 'nightly', description: '', schedule: 'daily at 02:00', timeZone: 'Europe/Paris', retention: { keepLast: 7 }, timing,
});

test('full-on weekdays: opened from the policy, sent Monday first, left out when none is ticked', () => {
  const d = draftOf(policy({ fullEvery: 7, fullOn: ['sun', 'wed'] }));
  assert.deepEqual(d.fullOn, ['sun', 'wed']);
  assert.deepEqual(timingOf(d), { fullEvery: 7, fullOn: ['wed', 'sun'] });
  assert.deepEqual(timingOf({ ...d, fullOn: ['sun', 'mon', 'sat'] }).fullOn, ['mon', 'sat', 'sun']);

  const none = timingOf({ ...d, fullOn: [] });
  assert.ok(!('fullOn' in none), 'no day: the key is absent, the API\'s default (none) applies');
  assert.deepEqual(none, { fullEvery: 7 });
  assert.deepEqual(draftOf(undefined).fullOn, [], 'a new policy has none');
  assert.deepEqual(draftOf(policy({})).fullOn, []);

  const body = bodyOf({ ...draftOf(policy({ jitterSeconds: 60 })), fullOn: ['fri'] });
  assert.deepEqual(body.timing, { jitterSeconds: 60, fullOn: ['fri'] });
  assert.deepEqual([body.schedule, body.timeZone, body.retention], ['daily at 02:00', 'Europe/Paris', { keepLast: 7 }], 'the rest as before');
});

test('a policy opened and saved unchanged sends what it holds', () => {
  const timing = { window: { start: '22:00', end: '06:00' }, jitterSeconds: 300, fullEvery: 10, fullOn: ['mon' as const] };
  assert.deepEqual(timingOf(draftOf(policy(timing))), timing);
});
