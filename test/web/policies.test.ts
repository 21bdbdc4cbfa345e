// Policies and plans in the console, in a real browser (Debian's Chromium, driven by playwright-core)
// against the real `cairn server` on PGlite with real volumes: a member builds a policy "daily at 02:30,
// Europe/Paris, keep last 7" and sees its next runs at 02:30 Paris time before saving (the schedule
// preview); saves it; makes a plan with a volume, which then shows in Plans and marks the volume
// protected on the Resources page; adds another volume from the Resources page; disables and deletes
// the plan. A viewer sees neither create nor edit controls; another tenant's policy is not found (404).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ALICE_PASSWORD, BOB_PASSWORD, serverWithTenants } from './tenant-fixture.ts';

interface PolicyJson { id: string; schedule: string; timeZone: string; retention: Record<string, unknown> }
interface PlanJson { id: string; name: string; policyId: string; enabled: boolean; resourceIds: string[] }

const parisClock = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

test('policies and plans: build a policy with its next runs, make a plan, the volume is protected; a viewer only reads; another tenant\'s policy is not found', async (t) => {
  const browser = await openBrowser(t);
  const { server, admin, acme } = await serverWithTenants(t);
  const globex = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/tenants')).body.items.find((x) => x.name === 'globex')!.id;
  const foreign = await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: globex, name: 'globex secret', retention: { keepLast: 1 } });
  assert.equal(foreign.status, 201);

  const page = await browser.newPage({ width: 1280, height: 900 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD, '/policies');
  await page.getByRole('heading', { name: 'Policies', level: 1 }).waitFor();
  await assertText(page.getByRole('table', { name: 'Your policies' }), 'manual');
  await page.getByRole('link', { name: 'New policy' }).click();
  await page.getByRole('heading', { name: 'New policy' }).waitFor();

  // The builder: every day at 02:30 in Paris, keep the last 7; the next runs come from the server before saving.
  await page.getByLabel('Name', { exact: true }).fill('paris nights');
  await page.getByLabel('Back up').selectOption('daily');
  // The zone first: the runs at 02:30 that show up are then Paris's, never an earlier answer for UTC.
  await page.getByLabel('Time zone').selectOption('Europe/Paris');
  await page.getByLabel('At', { exact: true }).fill('02:30');
  await page.getByLabel('Keep last').fill('7');
  await assertText(page.getByRole('heading', { name: /^Next runs/ }), 'Europe/Paris');
  const runs = page.getByRole('list', { name: 'Next runs' }).locator('time');
  await runs.filter({ hasText: '02:30' }).nth(4).waitFor();
  const instants = await Promise.all((await runs.all()).map(async (r) => (await r.getAttribute('datetime')) ?? ''));
  assert.equal(instants.length, 5);
  assert.deepEqual(instants.map(parisClock), Array(5).fill('02:30'), 'each run is 02:30 in Paris');
  assert.ok(instants.every((r) => /T0[01]:30:00\.000Z$/.test(r)), `Paris is UTC+1 or +2: ${instants.join(' ')}`);
  await shot(t, page, 'policies-1-builder');

  // A schedule the server refuses says why, before saving; a raw cron expression is previewed too.
  await page.getByLabel('Back up').selectOption('cron');
  await page.getByLabel(/^Cron expression/).fill('61 2 * * *');
  await assertText(page.getByRole('alert'), 'not a valid cron expression');
  await page.getByLabel(/^Cron expression/).fill('30 2 * * *');
  await runs.nth(4).waitFor();
  await page.getByLabel('Back up').selectOption('daily');
  assert.equal(await page.getByLabel('At', { exact: true }).inputValue(), '02:30', 'the builder keeps what was entered');

  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.waitForURL(/\/policies\/(?!new)[^/]+$/);
  const policyId = decodeURIComponent(pathOf(page).split('/')[2]!);
  await page.getByRole('heading', { name: 'paris nights', level: 1 }).waitFor();
  const saved = (await admin.get<PolicyJson>(`/v1/policies/${policyId}`)).body;
  assert.deepEqual([saved.schedule, saved.timeZone, saved.retention], ['daily at 02:30', 'Europe/Paris', { keepLast: 7 }]);
  await page.getByRole('button', { name: 'Preview retention' }).click();
  await assertText(page.getByRole('region', { name: 'Retention preview' }), 'No plan using this policy has checkpoints yet.');
  await shot(t, page, 'policies-2-saved');

  // A plan with the unprotected volume, on the Plans page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plans' }).click();
  await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'New plan' }).click();
  const form = page.getByRole('form', { name: 'New plan' });
  await form.getByLabel('Plan name').fill('paris plan');
  await form.getByLabel('Policy').selectOption({ label: 'paris nights' });
  await form.getByLabel('scratch.qcow2').check();
  await form.getByRole('button', { name: 'Create plan' }).click();
  const planRow = page.getByRole('table', { name: 'Plans' }).locator('tr[data-plan-id]').filter({ hasText: 'paris plan' });
  await planRow.waitFor();
  assert.match(await planRow.innerText(), /paris nights[\s\S]*scratch\.qcow2[\s\S]*Yes/);
  await assertText(planRow, 'within RPO');
  await assertText(planRow.getByTestId('plan-rpo'), 'RPO 36 h 0 min, from the schedule'); // what a daily schedule implies: 1.5 days
  const plan = (await admin.get<{ items: PlanJson[] }>('/v1/plans')).body.items.find((p) => p.name === 'paris plan')!;
  assert.deepEqual([plan.policyId, plan.resourceIds], [policyId, [acme.resources.get('scratch.qcow2')]]);
  await shot(t, page, 'policies-3-plans');

  // The Resources page marks the volume protected, and adds another one to the plan.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Resources' }).click();
  const tree = page.getByRole('list', { name: 'Resources' });
  await assertText(tree.locator('li[data-resource-id]').filter({ hasText: 'scratch.qcow2' }), 'Protected by paris plan');
  const web = tree.locator('li[data-resource-id]').filter({ hasText: 'web.qcow2' });
  await web.getByLabel('Plan to add it to').selectOption({ label: 'paris plan' });
  await web.getByRole('button', { name: 'Add to plan' }).click();
  await assertText(web.locator('.protected'), 'paris plan');
  assert.deepEqual((await admin.get<PlanJson>(`/v1/plans/${plan.id}`)).body.resourceIds.sort(), [acme.resources.get('scratch.qcow2'), acme.resources.get('web.qcow2')].sort());
  await shot(t, page, 'policies-4-resources');

  // Disable, then delete after confirming.
  await page.goto(`${server.url}/plans`);
  await planRow.getByRole('button', { name: 'Disable' }).click();
  await planRow.getByRole('button', { name: 'Enable' }).waitFor();
  assert.equal((await admin.get<PlanJson>(`/v1/plans/${plan.id}`)).body.enabled, false);
  await planRow.getByRole('button', { name: 'Delete…' }).click();
  await planRow.getByRole('button', { name: 'Delete the plan' }).click();
  await planRow.waitFor({ state: 'detached' });
  assert.equal((await admin.get(`/v1/plans/${plan.id}`)).status, 404);

  // Another tenant's policy: not found, as the API says.
  await page.goto(`${server.url}/policies/${foreign.body.id}`);
  await page.getByRole('heading', { name: 'Policy not found' }).waitFor();
  await shot(t, page, 'policies-5-foreign-not-found');
  // The browser logs the one 400 the test asked for (the bad cron expression); nothing else.
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), [], 'no script errors in the page');

  // A viewer reads policies and plans, without create or edit controls.
  const viewer = await browser.newPage({ width: 1280, height: 900 });
  await signInAt(viewer, server.url, 'bob', BOB_PASSWORD, '/policies');
  await assertText(viewer.getByRole('table', { name: 'Your policies' }), 'paris nights');
  assert.equal(await viewer.getByRole('link', { name: 'New policy' }).count(), 0);
  await viewer.getByRole('link', { name: 'paris nights' }).click();
  await viewer.getByRole('heading', { name: 'paris nights', level: 1 }).waitFor();
  assert.ok(await viewer.getByLabel('Name', { exact: true }).isDisabled(), 'the form is read-only');
  assert.equal(await viewer.getByRole('button', { name: /Save|Create/ }).count(), 0);
  await viewer.getByRole('list', { name: 'Next runs' }).locator('time').nth(4).waitFor();
  await shot(t, viewer, 'policies-6-viewer-policy');
  await viewer.goto(`${server.url}/plans`);
  await viewer.getByRole('table', { name: 'Plans' }).waitFor();
  assert.equal(await viewer.getByRole('button', { name: /New plan|Disable|Enable|Delete/ }).count(), 0);
  await viewer.goto(`${server.url}/resources`);
  await viewer.getByRole('list', { name: 'Resources' }).waitFor();
  assert.equal(await viewer.getByRole('button', { name: 'Add to plan' }).count(), 0);
  await shot(t, viewer, 'policies-7-viewer-resources');
});
