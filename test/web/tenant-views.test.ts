// The tenant views' newer pieces in a real browser (Debian's Chromium, driven by playwright-core)
// against the real `cairn server` on PGlite with real volumes: the dashboard's chart of storage used,
// empty until a backup, then with a point for the bytes that backup stored, sampled by the server
// itself (after the backup, and by its sweep, every 10 s here); a policy's full-on weekdays; a plan in a
// bank the member chooses (GET /v1/plan-banks) with an RPO, then edited; and the Resources page's latest
// checkpoints from GET /v1/checkpoints?latest=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatBytes } from '../../web/src/format.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ALICE_PASSWORD, BOB_PASSWORD, serverWithTenants } from './tenant-fixture.ts';

interface CheckpointJson { id: string; resourceId: string; status: string; writtenBytes: number }
interface UsageJson { tenantId: string; resourceId: string; hour: string; checkpoints: number; storedBytes: number }
interface PlanJson { id: string; name: string; policyId: string; bankId: string; rpoSeconds: number | null; resourceIds: string[] }
interface PolicyJson { id: string; timing: { fullOn?: string[]; fullEvery?: number } }

test('tenant views: storage used over time, full-on weekdays, a plan\'s bank and RPO, each resource\'s latest checkpoint', async (t) => {
  const browser = await openBrowser(t);
  // The sweep samples usage every 10 s (CAIRN_HEARTBEAT_SECONDS), besides after each backup.
  const { dir, server, admin, acme } = await serverWithTenants(t, { CAIRN_HEARTBEAT_SECONDS: '10' });
  // A second bank, at another site, for plans to choose.
  const dr = await admin.send<{ id: string }>('POST', '/v1/sites', { name: 'dr' });
  assert.equal(dr.status, 201, JSON.stringify(dr.body));
  const offsite = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'offsite', siteId: dr.body.id, location: join(dir, 'offsite-bank'), create: true });
  assert.equal(offsite.status, 201, JSON.stringify(offsite.body));
  const local = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/banks')).body.items.find((b) => b.name === 'local')!.id;

  const page = await browser.newPage({ width: 1280, height: 900 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

  // Before any backup of acme's (globex's has run): the chart's empty state says when usage will show.
  const usage = page.getByRole('region', { name: 'Storage used' });
  await assertText(usage.getByTestId('usage-empty'), 'No usage recorded yet in the last 7 days: usage is sampled after every backup and delete and every 30 seconds');
  assert.equal(await usage.getByRole('radio', { name: '7 days' }).isChecked(), true);
  await shot(t, page, 'tenant-1-usage-empty');

  // A backup through the API, as the CLI or a schedule would make one; the server samples usage at its end.
  const backup = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: acme.plans.nightly })).body.id);
  assert.equal(backup.state, 'succeeded', JSON.stringify(backup));
  const web = acme.resources.get('web.qcow2')!;
  const first = (await admin.get<{ items: CheckpointJson[] }>(`/v1/checkpoints?resourceId=${web}`)).body.items;
  assert.equal(first.length, 1);
  const written = first[0]!.writtenBytes;
  assert.ok(written > 0);
  const rows = (await admin.get<{ items: UsageJson[] }>(`/v1/usage?tenantId=${acme.tenant}`)).body.items;
  assert.ok(rows.length >= 1, 'sampled by the server, not made by the test');
  assert.deepEqual([rows.at(-1)!.resourceId, rows.at(-1)!.storedBytes, rows.at(-1)!.checkpoints], [web, written, 1]);

  // The chart, drawn: its last point is the bytes that backup stored; labels in bytes and dates; the values in a table for screen readers.
  await page.reload();
  const chart = usage.getByRole('img', { name: /^Storage used by acme over the last 7 days/ });
  await chart.waitFor();
  assert.match((await chart.getAttribute('aria-label'))!, new RegExp(`: ${formatBytes(written).replace('.', '\\.')} on `));
  const points = chart.locator('circle.point');
  assert.ok(await points.count() >= 1);
  assert.equal(Number(await points.last().getAttribute('data-bytes')), written, 'a point for the bytes the backup stored');
  const cy = Number(await points.last().getAttribute('cy')), axisY = Number(await chart.locator('line.axis').getAttribute('y1'));
  assert.ok(cy < axisY, `the point stands above the zero line (${cy} < ${axisY})`);
  await assertText(usage.getByTestId('usage-latest'), formatBytes(written));
  const yLabels = await chart.locator('text').allTextContents();
  const byteLabels = yLabels.filter((l) => /^\d+(\.\d)? (B|KiB|MiB)$/.test(l));
  assert.ok(byteLabels.length >= 2 && /^0 /.test(byteLabels[0]!), `byte labels from 0: ${yLabels.join(' | ')}`);
  assert.equal(new Set(byteLabels.map((l) => l.split(' ')[1])).size, 1, `in one unit: ${byteLabels.join(' | ')}`);
  assert.ok(yLabels.some((l) => /^[A-Z][a-z]{2} \d{1,2}$/.test(l)), `date labels: ${yLabels.join(' | ')}`);
  const table = usage.getByRole('table', { name: /Storage used by acme, per hour, over the last 7 days/ });
  await assertText(table.locator('tbody tr').last(), formatBytes(written));
  assert.equal(await table.locator('tbody tr').count(), await points.count());
  await shot(t, page, 'tenant-2-usage-chart');

  // Longer periods: a point a day, the same bytes.
  await usage.getByRole('radio', { name: '30 days' }).check();
  await usage.getByRole('table', { name: /per day, over the last 30 days/ }).waitFor();
  assert.equal(Number(await usage.getByRole('img', { name: /over the last 30 days/ }).locator('circle.point').last().getAttribute('data-bytes')), written);
  await usage.getByRole('radio', { name: '90 days' }).check();
  await usage.getByRole('img', { name: /over the last 90 days/ }).waitFor();
  await shot(t, page, 'tenant-3-usage-90-days');

  // A policy whose Sunday and Wednesday backups are full.
  await page.goto(`${server.url}/policies/new`);
  await page.getByRole('heading', { name: 'New policy' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('nights');
  await page.getByLabel('At', { exact: true }).fill('02:30');
  await page.getByLabel('Keep last').fill('7');
  const fullOn = page.getByRole('group', { name: 'Full on' });
  await fullOn.getByRole('checkbox', { name: 'Full on Sunday' }).check();
  await fullOn.getByRole('checkbox', { name: 'Full on Wednesday' }).check();
  await shot(t, page, 'tenant-4-policy-full-on');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.waitForURL(/\/policies\/(?!new)[^/]+$/);
  const policyId = decodeURIComponent(pathOf(page).split('/')[2]!);
  assert.deepEqual((await admin.get<PolicyJson>(`/v1/policies/${policyId}`)).body.timing.fullOn, ['wed', 'sun'], 'saved, Monday first');
  await page.reload();
  await page.getByRole('heading', { name: 'nights', level: 1 }).waitFor();
  assert.equal(await fullOn.getByRole('checkbox', { name: 'Full on Sunday' }).isChecked(), true, 'the saved days are ticked');
  assert.equal(await fullOn.getByRole('checkbox', { name: 'Full on Monday' }).isChecked(), false);
  await fullOn.getByRole('checkbox', { name: 'Full on Wednesday' }).uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await assertText(page.getByRole('status'), 'Saved.');
  assert.deepEqual((await admin.get<PolicyJson>(`/v1/policies/${policyId}`)).body.timing.fullOn, ['sun']);

  // A plan in the bank the member chooses, with an RPO of 2 hours.
  await page.goto(`${server.url}/plans`);
  await page.getByRole('button', { name: 'New plan' }).click();
  const form = page.getByRole('form', { name: 'New plan' });
  const bankSelect = form.getByLabel('Bank');
  assert.equal(await bankSelect.inputValue(), local, 'the server\'s default bank is chosen first');
  assert.deepEqual((await bankSelect.locator('option').allInnerTexts()).sort(), ['local at local (default)', 'offsite at dr']);
  await form.getByLabel('Plan name').fill('offsite plan');
  await form.getByLabel('Policy').selectOption({ label: 'nights' });
  await bankSelect.selectOption({ label: 'offsite at dr' });
  await form.getByLabel('At most').fill('2');
  await form.getByLabel('Unit').selectOption('hours');
  await form.getByLabel('scratch.qcow2').check();
  await shot(t, page, 'tenant-5-plan-new');
  await form.getByRole('button', { name: 'Create plan' }).click();
  const planRow = page.getByRole('table', { name: 'Plans' }).locator('tr[data-plan-id]').filter({ hasText: 'offsite plan' });
  await planRow.waitFor();
  await assertText(planRow.getByTestId('plan-bank'), 'offsite at dr');
  await assertText(planRow.getByTestId('plan-rpo'), 'RPO 2 h 0 min, set on the plan');
  const plan = (await admin.get<{ items: PlanJson[] }>('/v1/plans')).body.items.find((p) => p.name === 'offsite plan')!;
  assert.deepEqual([plan.bankId, plan.rpoSeconds, plan.policyId, plan.resourceIds], [offsite.body.id, 7200, policyId, [acme.resources.get('scratch.qcow2')]]);
  await shot(t, page, 'tenant-6-plan-saved');

  // Edited: renamed, back to the default bank, the RPO from the schedule again; what was not touched is not sent.
  await planRow.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Plan offsite plan' });
  assert.equal(await edit.getByLabel('At most').inputValue(), '2');
  assert.equal(await edit.getByLabel('Unit').inputValue(), 'hours');
  assert.equal(await edit.getByLabel('Bank').inputValue(), offsite.body.id);
  assert.equal(await edit.getByLabel('scratch.qcow2').isChecked(), true);
  await edit.getByLabel('Plan name').fill('nightly plan');
  await edit.getByLabel('Bank').selectOption({ label: 'local at local (default)' });
  await assertText(edit, 'the next backup of each resource is a full one');
  await edit.getByLabel('At most').fill('');
  await assertText(edit, 'Leave it empty for the RPO the policy\'s schedule implies');
  await shot(t, page, 'tenant-7-plan-edit');
  const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(`/v1/plans/${plan.id}`));
  await edit.getByRole('button', { name: 'Save changes' }).click();
  assert.deepEqual((await patch).postDataJSON(), { name: 'nightly plan', bankId: local, rpoSeconds: null });
  const edited = page.getByRole('table', { name: 'Plans' }).locator(`tr[data-plan-id="${plan.id}"]`);
  await assertText(edited, 'nightly plan');
  await assertText(edited.getByTestId('plan-bank'), 'local at local');
  await assertText(edited.getByTestId('plan-rpo'), 'RPO 36 h 0 min, from the schedule');
  await edit.waitFor({ state: 'detached' });
  const after = (await admin.get<PlanJson>(`/v1/plans/${plan.id}`)).body;
  assert.deepEqual([after.name, after.bankId, after.rpoSeconds, after.policyId, after.resourceIds], ['nightly plan', local, null, policyId, [acme.resources.get('scratch.qcow2')]]);
  await shot(t, page, 'tenant-8-plan-edited');

  // The Resources page: each resource's latest checkpoint in one call, the newest of web's two.
  const second = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [web] })).body.id);
  assert.equal(second.state, 'succeeded');
  const newest = (await admin.get<{ items: CheckpointJson[] }>(`/v1/checkpoints?resourceId=${web}`)).body.items.at(-1)!;
  const latestCall = page.waitForResponse((r) => r.url().includes('/v1/checkpoints?latest=true'));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Resources' }).click();
  const latest = (await (await latestCall).json()) as { items: CheckpointJson[] };
  assert.deepEqual(latest.items.map((c) => [c.resourceId, c.id]), [[web, newest.id]], 'one row: web\'s newest; the others have none');
  const tree = page.getByRole('list', { name: 'Resources' });
  await assertText(tree.locator('li[data-resource-id]').filter({ hasText: 'web.qcow2' }).locator('.resource-last'), 'available');
  await assertText(tree.locator('li[data-resource-id]').filter({ hasText: 'db.qcow2' }), 'No checkpoint yet');
  await shot(t, page, 'tenant-9-resources-latest');
  assert.deepEqual(errors, [], 'no script errors in the page');

  // A viewer sees the chart and the plans, with no form to change them.
  const viewer = await browser.newPage({ width: 800, height: 800 });
  const viewerErrors = scriptErrors(viewer);
  await signInAt(viewer, server.url, 'bob', BOB_PASSWORD);
  const viewerChart = viewer.getByRole('region', { name: 'Storage used' }).getByRole('img', { name: /^Storage used by acme/ });
  await viewerChart.waitFor();
  assert.equal(Number(await viewerChart.locator('circle.point').last().getAttribute('data-bytes')), written + newest.writtenBytes);
  await shot(t, viewer, 'tenant-10-viewer-dashboard-narrow');
  await viewer.goto(`${server.url}/plans`);
  await assertText(viewer.getByRole('table', { name: 'Plans' }), 'nightly plan');
  assert.equal(await viewer.getByRole('button', { name: /Edit|New plan/ }).count(), 0);
  assert.deepEqual(viewerErrors, []);
});
