// The console's resources and operations pages in a real browser (Debian's Chromium, driven by
// playwright-core) against the real `cairn server` on PGlite with real volumes: a member sees the
// tenant's volumes with their protection, backs one up with "Back up now", follows the operation to
// its end and its log, and finds it on the operations page filtered by state; links and reloads land
// on the same page. A viewer sees the same pages without "Back up now" or "Cancel"; a member cancels a
// queued operation after confirming, and a running one (a volume read through a throttled block node
// of qemu-storage-daemon, so that it runs as long as the test needs), which then leaves no available
// checkpoint; another tenant's operation is not found, as the API says (404).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { QmpClient } from '../../src/plugins/qemu/qmp-client.ts';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn, type OperationJson } from '../testkit/api-client.ts';
import { listening, qemu, qemuWrite, startDaemon } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { addUser, ADMIN_PASSWORD, ALICE_PASSWORD, BOB_PASSWORD, serverWithTenants, tenantWithVolumes } from './tenant-fixture.ts';


test('resources and operations: back up now, follow the operation to its log, filter; a viewer only looks; another tenant\'s operation is not found', async (t) => {
  const browser = await openBrowser(t);
  const { server, admin, acme, foreignOperation: foreign } = await serverWithTenants(t);

  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD);

  // Resources, reached from the navigation without a page load: the tenant's volumes, with their protection.
  await page.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Resources' }).click();
  await page.getByRole('heading', { name: 'Resources', level: 1 }).waitFor();
  assert.equal(pathOf(page), '/resources');
  assert.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'the console moved without loading the page again');
  assert.equal(await page.getByRole('link', { name: 'Resources' }).getAttribute('aria-current'), 'page');
  const tree = page.getByRole('list', { name: 'Resources' });
  const row = (name: string) => tree.locator('li[data-resource-id]').filter({ hasText: name });
  await row('scratch.qcow2').waitFor();
  assert.equal(await tree.locator('li[data-resource-id]').count(), 3, 'acme\'s three volumes, not globex\'s');
  await assertText(row('web.qcow2'), 'Protected by nightly');
  await assertText(row('db.qcow2'), 'Protected by strict');
  await assertText(row('scratch.qcow2'), 'Unprotected');
  await assertText(row('scratch.qcow2'), 'No checkpoint yet');
  await shot(t, page, 'ops-1-resources');

  // Back up now on one volume: the operation it started is linked, and followed to its end with its log.
  const started = page.waitForResponse((r) => r.url().endsWith('/v1/checkpoints') && r.request().method() === 'POST');
  await row('scratch.qcow2').getByRole('button', { name: 'Back up now' }).click();
  const response = await started;
  assert.equal(response.status(), 202);
  const opId = ((await response.json()) as { id: string }).id;
  assert.deepEqual(((response.request().postDataJSON()) as { resourceIds: string[] }).resourceIds, [acme.resources.get('scratch.qcow2')]);
  await row('scratch.qcow2').getByRole('link', { name: `follow operation ${opId}` }).click();
  assert.equal(pathOf(page), `/operations/${opId}`);
  await page.getByRole('heading', { name: 'Backup' }).waitFor();
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
  const done = await admin.finished(opId);
  assert.equal(done.state, 'succeeded');
  assert.ok(done.log.length > 0, 'the backup logged something');
  const log = page.getByRole('list', { name: 'Log lines' });
  await assertText(log, done.log.at(-1)!.message);
  assert.equal(await log.locator('li').count(), done.log.length, 'every line of the log');
  assert.equal(await page.getByRole('button', { name: /^Cancel/ }).count(), 0, 'an ended operation cannot be cancelled');
  await shot(t, page, 'ops-2-operation-succeeded');

  // A reload (or a link from elsewhere) lands on the same operation.
  await page.reload();
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor();
  await assertText(page.getByRole('list', { name: 'Log lines' }), done.log[0]!.message);

  // Back on the resources page, the volume has its checkpoint.
  await page.goBack();
  await page.getByRole('heading', { name: 'Resources', level: 1 }).waitFor();
  await assertText(row('scratch.qcow2'), 'Last checkpoint');
  await assertText(row('scratch.qcow2'), 'available');

  // The operations page, filtered by state with the API's query parameter; the filter is in the URL.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  const opRow = page.locator(`tr[data-operation-id="${opId}"]`);
  await opRow.waitFor();
  const filtered = page.waitForRequest((r) => r.url().includes('/v1/operations?') && r.url().includes('state=succeeded'));
  await page.getByLabel('State').selectOption('succeeded');
  const asked = new URL((await filtered).url());
  assert.equal(asked.searchParams.get('order'), 'newest');
  assert.equal(asked.searchParams.get('tenantId'), acme.tenant);
  assert.equal(pathOf(page), '/operations?state=succeeded');
  await opRow.waitFor();
  assert.equal(await page.locator('tr[data-operation-id]').count(), 1, 'acme has one operation, and only acme\'s show');
  await shot(t, page, 'ops-3-operations-succeeded');
  await page.getByLabel('State').selectOption('failed');
  await assertText(page.getByRole('region', { name: 'Operations' }), 'No operation matches these filters.');
  assert.equal(await opRow.count(), 0);
  await page.goto(`${server.url}/operations?state=succeeded&type=backup`);
  await opRow.waitFor();
  assert.equal(await page.getByLabel('State').inputValue(), 'succeeded', 'the filter survives a reload');
  assert.equal(await page.getByLabel('Type').inputValue(), 'backup');
  await page.getByLabel('Type').selectOption('restore');
  await assertText(page.getByRole('region', { name: 'Operations' }), 'No operation matches these filters.');
  await opRow.getByRole('link').waitFor({ state: 'detached' });

  // Another tenant's operation by URL: the API answers 404, and so does the page.
  const foreignAnswer = page.waitForResponse((r) => r.url().endsWith(`/v1/operations/${foreign}`));
  await page.goto(`${server.url}/operations/${foreign}`);
  assert.equal((await foreignAnswer).status(), 404);
  await page.getByRole('heading', { name: 'Operation not found' }).waitFor();
  await assertText(page.getByRole('alert'), `No operation ${foreign} is visible to you`);
  assert.doesNotMatch(await page.getByRole('main').innerText(), /secret/);
  await shot(t, page, 'ops-4-operation-not-found');
  assert.deepEqual(errors, [], 'no script errors in the page');

  // A viewer of the same tenant, on a narrow laptop screen, sees the same volumes and operation, with no button to act.
  const viewer = await browser.newPage({ width: 800, height: 700 });
  const viewerErrors = scriptErrors(viewer);
  await signInAt(viewer, server.url, 'bob', BOB_PASSWORD, '/resources');
  assert.equal(pathOf(viewer), '/resources', 'a deep link survives signing in');
  await assertText(viewer.getByRole('banner'), 'viewer');
  const viewerTree = viewer.getByRole('list', { name: 'Resources' });
  await viewerTree.locator('li[data-resource-id]').filter({ hasText: 'scratch.qcow2' }).getByText('available').waitFor();
  assert.equal(await viewerTree.locator('li[data-resource-id]').count(), 3);
  assert.equal(await viewer.getByRole('button', { name: 'Back up now' }).count(), 0, 'a viewer cannot back up');
  await shot(t, viewer, 'ops-5-resources-viewer-narrow');
  await viewer.goto(`${server.url}/operations/${opId}`);
  await viewer.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor();
  assert.equal(await viewer.getByRole('button', { name: /^Cancel/ }).count(), 0);
  assert.deepEqual(viewerErrors, []);
});

test('a queued operation: a viewer has no Cancel; a member cancels it after confirming', async (t) => {
  const browser = await openBrowser(t);
  const dir = await tempDir(t);
  // No workers: the backup stays queued until it is cancelled.
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_WORKERS: '0' });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = await tenantWithVolumes(admin, dir);
  await addUser(admin, acme.tenant, 'bob', BOB_PASSWORD, 'viewer');
  const queued = await admin.send<{ id: string; state: string }>('POST', '/v1/checkpoints', { resourceIds: [acme.resources.get('web.qcow2')] });
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  const opId = queued.body.id;

  const viewer = await browser.newPage({ width: 1280, height: 800 });
  await signInAt(viewer, server.url, 'bob', BOB_PASSWORD, `/operations/${opId}`);
  await viewer.getByTestId('operation-state').filter({ hasText: 'queued' }).waitFor();
  await assertText(viewer.getByRole('main'), 'Waiting for a worker');
  assert.equal(await viewer.getByRole('button', { name: /^Cancel/ }).count(), 0, 'a viewer cannot cancel');
  await viewer.evaluate(() => { (globalThis as unknown as { notReloaded: boolean }).notReloaded = true; });

  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD, `/operations/${opId}`);
  await page.getByTestId('operation-state').filter({ hasText: 'queued' }).waitFor();
  // The confirmation can be declined, from the keyboard: nothing happens.
  await page.getByRole('button', { name: 'Cancel…' }).click();
  const confirm = page.getByRole('group', { name: /Cancel this backup\?/ });
  await confirm.waitFor();
  assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent), 'No, keep it', 'the safe choice has the focus');
  await shot(t, page, 'ops-6-operation-cancel-confirm');
  await page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  assert.equal((await admin.get<{ state: string }>(`/v1/operations/${opId}`)).body.state, 'queued', 'declined: still queued');

  // Confirmed: the API cancels it (at once, as it was queued) and the page shows it.
  const cancelCall = page.waitForResponse((r) => r.url().endsWith(`/v1/operations/${opId}/cancel`));
  await page.getByRole('button', { name: 'Cancel…' }).click();
  await page.getByRole('button', { name: 'Yes, cancel the backup' }).click();
  assert.equal((await cancelCall).status(), 202);
  await page.getByTestId('operation-state').filter({ hasText: 'cancelled' }).waitFor();
  assert.equal((await admin.get<{ state: string }>(`/v1/operations/${opId}`)).body.state, 'cancelled');
  assert.equal(await page.getByRole('button', { name: /^Cancel/ }).count(), 0);
  await shot(t, page, 'ops-7-operation-cancelled');
  // The viewer's page, open all along, follows the change by itself: it polls while the operation is queued.
  await viewer.getByTestId('operation-state').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
  assert.equal(await viewer.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'without a reload');
  assert.deepEqual(errors, []);
});

test('a running backup: a member cancels it after confirming; it ends cancelled, and leaves no available checkpoint', async (t) => {
  const browser = await openBrowser(t);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = await tenantWithVolumes(admin, dir);

  // A volume served by qemu-storage-daemon whose reads go through a throttle node at 2 MiB/s: its 64 MiB
  // of data take half a minute to back up on any machine, and the backup reports progress all along.
  const image = join(dir, 'slow.qcow2'), qmp = join(dir, 'qsd.sock');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', image, '128M']);
  await qemuWrite(image, 'write -P 0x6b 0 64M');
  await startDaemon(t, 'qemu-storage-daemon', [
    '--object', 'throttle-group,id=slow,x-bps-read=2097152',
    '--blockdev', `driver=file,filename=${image},node-name=file0`,
    '--blockdev', 'driver=throttle,throttle-group=slow,file=file0,node-name=throttled0',
    '--blockdev', 'driver=qcow2,file=throttled0,node-name=slowvol',
    '--chardev', `socket,id=qmp0,path=${qmp},server=on,wait=off`, '--monitor', 'chardev=qmp0',
  ], () => listening(qmp));
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'qsd', siteId: site, kind: 'qsd', location: qmp, tenantId: acme.tenant });
  assert.equal(host.status, 201, JSON.stringify(host.body));
  assert.equal((await admin.send('POST', `/v1/hosts/${host.body.id}/discover`)).status, 200);
  const resource = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'slowvol')!.id;

  // Backed up from the Resources page, followed to its operation's page.
  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD, '/resources');
  const row = page.getByRole('list', { name: 'Resources' }).locator('li[data-resource-id]').filter({ hasText: 'slowvol' });
  const started = page.waitForResponse((r) => r.url().endsWith('/v1/checkpoints') && r.request().method() === 'POST');
  await row.getByRole('button', { name: 'Back up now' }).click();
  const opId = ((await (await started).json()) as { id: string }).id;
  await row.getByRole('link', { name: `follow operation ${opId}` }).click();
  await page.getByRole('heading', { name: 'Backup' }).waitFor();

  // Running, with data moved: the page shows its progress; then Cancel, confirmed.
  await page.getByTestId('operation-state').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
  for (;;) {
    const now = await admin.get<OperationJson>(`/v1/operations/${opId}`);
    assert.equal(now.body.state, 'running', `the backup is still running: ${JSON.stringify(now.body)}`);
    if (Number(now.body.progress?.doneBytes ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.getByRole('progressbar', { name: 'Backup progress' }).waitFor();
  await page.getByRole('button', { name: 'Cancel…' }).click();
  const confirm = page.getByRole('group', { name: /Cancel this backup\?/ });
  await assertText(confirm, 'It stops at its next step; what it made so far is not kept.');
  await shot(t, page, 'ops-8-running-cancel-confirm');
  const cancelCall = page.waitForResponse((r) => r.url().endsWith(`/v1/operations/${opId}/cancel`));
  await confirm.getByRole('button', { name: 'Yes, cancel the backup' }).click();
  assert.equal((await cancelCall).status(), 202);
  await page.getByTestId('operation-state').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByRole('button', { name: /^Cancel/ }).count(), 0);
  await assertText(page.getByRole('list', { name: 'Log lines' }), 'cancelled');
  await shot(t, page, 'ops-9-running-cancelled');

  // The API says the same: cancelled before it could finish, and its checkpoint is not available.
  const ended = await admin.get<OperationJson & { startedAt: string | null }>(`/v1/operations/${opId}`);
  assert.equal(ended.body.state, 'cancelled', JSON.stringify(ended.body));
  assert.ok(ended.body.startedAt, 'it had started: cancelled while running, not while queued');
  assert.equal(ended.body.result, null);
  const made = (await admin.get<{ items: { status: string; error: string | null; operationId: string }[] }>(`/v1/checkpoints?resourceId=${resource}`)).body.items;
  assert.deepEqual(made.map((c) => [c.operationId, c.status, c.error]), [[opId, 'error', 'cancelled']], 'the checkpoint it began is marked, not available');
  assert.deepEqual((await admin.get<{ items: unknown[] }>(`/v1/checkpoints?resourceId=${resource}&status=available`)).body.items, []);
  assert.deepEqual((await admin.get<{ items: unknown[] }>(`/v1/checkpoints?latest=true&status=available&resourceId=${resource}`)).body.items, []);

  // Its resource's page shows that checkpoint as an error, with nothing to restore.
  await page.goto(`${server.url}/resources/${resource}`);
  const timeline = page.getByRole('list', { name: 'Checkpoints' });
  await assertText(timeline, 'cancelled');
  await assertText(timeline.locator('.state'), 'error');
  assert.equal(await timeline.getByText('available', { exact: true }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Restore…' }).count(), 0);
  await shot(t, page, 'ops-10-cancelled-checkpoint');

  // And the daemon is as it was: no export, job or overlay of Cairn's left.
  const client = await QmpClient.connect(qmp);
  try {
    assert.deepEqual(await client.execute<unknown[]>('query-block-exports'), []);
    assert.deepEqual(await client.execute<unknown[]>('query-jobs'), []);
    const nodes = await client.execute<{ 'node-name': string }[]>('query-named-block-nodes', { flat: true });
    assert.deepEqual(nodes.map((n) => n['node-name']).filter((n) => n.startsWith('cairn')), []);
  } finally {
    client.close();
  }
  assert.deepEqual(errors, []);
});
