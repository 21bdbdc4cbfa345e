// The console's checkpoints and restore wizard in a real browser (Debian's Chromium, driven by
// playwright-core) against the real `cairn server` on PGlite with real volumes: a member backs up a
// volume written with known bytes, opens its checkpoints, pins one, restores it to a new volume through
// the wizard and follows the operation to its end; the restored volume's bytes equal the source's. In
// place asks for a confirmation that names the volume. A viewer sees the checkpoints without Restore,
// Pin or Delete, and the wizard refuses them; another tenant's checkpoint and resource are not found,
// as the API says (404). A member deletes a checkpoint after confirming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../testkit/files.ts';
import { qemu } from '../testkit/qemu.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ALICE_PASSWORD, BOB_PASSWORD, serverWithTenants } from './tenant-fixture.ts';

const MiB = 1 << 20;

/** The sha256 of the guest-visible bytes of an image: converted to raw, so that qcow2 layout does not matter. */
async function contentHash(image: string, dir: string): Promise<string> {
  const raw = join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}.raw`);
  await qemu('qemu-img', ['convert', '-U', '-O', 'raw', image, raw]);
  return sha256(raw);
}

/** What web.qcow2 holds, as tenant-fixture.ts writes it: 16 MiB of 0x5a, then zeros to 64 MiB. */
function expectedWebHash(): string {
  const h = createHash('sha256');
  h.update(Buffer.alloc(16 * MiB, 0x5a));
  h.update(Buffer.alloc(48 * MiB));
  return h.digest('hex');
}

test('checkpoints of a resource and the restore wizard: back up, pin, restore to a new volume with the same bytes; a viewer only looks; another tenant\'s checkpoint is not found', async (t) => {
  const browser = await openBrowser(t);
  const { dir, server, admin, acme, foreignOperation: foreignOp } = await serverWithTenants(t);
  const foreign = (await admin.get<{ items: { id: string; operationId: string; resourceId: string }[] }>('/v1/checkpoints')).body.items.find((c) => c.operationId === foreignOp)!;
  const source = join(dir, 'vols', 'web.qcow2');
  const webId = acme.resources.get('web.qcow2')!;
  assert.equal(await contentHash(source, dir), expectedWebHash(), 'the source holds the known bytes');

  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD, '/resources');
  const row = page.getByRole('list', { name: 'Resources' }).locator('li[data-resource-id]').filter({ hasText: 'web.qcow2' });

  // Back up now, and wait for it: the backup the restore will read.
  await row.getByRole('button', { name: 'Back up now' }).click();
  await row.getByRole('link', { name: /^follow operation / }).click();
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });

  // The resource's page, from its name on the resources page: its checkpoint on a timeline.
  await page.goBack();
  await row.getByRole('link', { name: 'web.qcow2' }).click();
  assert.equal(pathOf(page), `/resources/${webId}`);
  await page.getByRole('heading', { name: 'web.qcow2', level: 1 }).waitFor();
  const timeline = page.getByRole('list', { name: 'Checkpoints' });
  const item = timeline.locator('li[data-checkpoint-id]').first();
  await item.waitFor();
  assert.equal(await timeline.locator('li[data-checkpoint-id]').count(), 1);
  const checkpointId = (await item.getAttribute('data-checkpoint-id'))!;
  await assertText(item, 'full');
  await assertText(item, 'available');
  await assertText(item, 'not verified');
  await assertText(item, '64 MiB');

  // Pin, as the API then says; the item shows it.
  await item.getByRole('button', { name: 'Pin' }).click();
  await assertText(item, 'pinned');
  await item.getByRole('button', { name: 'Unpin' }).waitFor();
  assert.equal((await admin.get<{ pinned: boolean }>(`/v1/checkpoints/${checkpointId}`)).body.pinned, true);
  await shot(t, page, 'restore-1-checkpoints');

  // The wizard: in place names the volume it overwrites, and waits for the confirmation.
  await item.getByRole('link', { name: 'Restore…' }).click();
  assert.equal(pathOf(page), `/checkpoints/${checkpointId}/restore`);
  await page.getByRole('heading', { name: 'Restore web.qcow2' }).waitFor();
  const form = page.getByRole('form', { name: 'Restore' });
  await form.getByRole('radio', { name: /In place/ }).check();
  await assertText(form, `${join(dir, 'vols', 'web.qcow2')}`);
  const overwrite = form.getByRole('button', { name: 'Overwrite web.qcow2 and restore' });
  assert.equal(await overwrite.isDisabled(), true, 'not without the confirmation');
  await form.getByRole('checkbox', { name: 'Overwrite web.qcow2' }).check();
  assert.equal(await overwrite.isEnabled(), true);
  await shot(t, page, 'restore-2-wizard-in-place');

  // To a new volume, with the format from the plugin's schema (an enum, so a select).
  await form.getByRole('radio', { name: /A new volume/ }).check();
  assert.equal(await form.getByLabel('Name').inputValue(), 'web-restored.qcow2', 'a name is suggested');
  assert.deepEqual(await form.getByLabel('Format').locator('option').allInnerTexts(), ['Default (qcow2)', 'raw', 'qcow2']);
  await form.getByLabel('Format').selectOption('"qcow2"');
  await shot(t, page, 'restore-3-wizard-new');
  const asked = page.waitForRequest((r) => r.url().endsWith('/v1/restores') && r.method() === 'POST');
  await form.getByRole('button', { name: 'Start the restore' }).click();
  assert.deepEqual((await asked).postDataJSON(), { checkpointId, target: { mode: 'new', name: 'web-restored.qcow2' }, parameters: { format: 'qcow2' } });
  await page.waitForURL(/\/operations\/[^/]+$/);
  await page.getByTestId('operation-state').waitFor();
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
  await shot(t, page, 'restore-4-operation-succeeded');

  // The restored volume, on disk beside the original, holds the same bytes.
  const restored = join(dir, 'vols', 'web-restored.qcow2');
  assert.ok(existsSync(restored));
  assert.equal(await contentHash(restored, dir), expectedWebHash());
  assert.match(await qemu('qemu-img', ['info', '-U', '--output=json', restored]), /"format": "qcow2"/);

  // A name taken now: the API's refusal shows in the wizard, which stays.
  await page.goto(`${server.url}/checkpoints/${checkpointId}/restore`);
  await page.getByRole('button', { name: 'Start the restore' }).click();
  await assertText(page.getByRole('alert'), 'web-restored.qcow2 already');
  assert.equal(pathOf(page), `/checkpoints/${checkpointId}/restore`);
  // The browser logs the refused call as a failed load: asked for here, so not a script error.
  const refused = errors.findIndex((e) => /status of 409/.test(e));
  assert.ok(refused >= 0);
  errors.splice(refused, 1);

  // At another site: a second site with a directory of the tenant's volumes. Its bank is this one
  // (no copy is attached there), as the wizard says; the restored volume lands at that site.
  const dr = (await admin.send<{ id: string }>('POST', '/v1/sites', { name: 'dr' })).body.id;
  const volsDr = join(dir, 'vols-dr');
  await mkdir(volsDr);
  const hostDr = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols-dr', siteId: dr, kind: 'volumes', location: volsDr, tenantId: acme.tenant });
  assert.equal(hostDr.status, 201, JSON.stringify(hostDr.body));
  await page.reload();
  await form.getByRole('radio', { name: /At another site/ }).check();
  assert.deepEqual(await form.getByLabel('Host').locator('option').allInnerTexts(), ['vols-dr']);
  await assertText(form, 'At site dr, reading from bank local at site local: no copy of the bank is attached at dr');
  await form.getByLabel('Name').fill('web-dr.qcow2');
  await shot(t, page, 'restore-5-wizard-another-site');
  await form.getByRole('button', { name: 'Start the restore' }).click();
  await page.waitForURL(/\/operations\/[^/]+$/);
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
  assert.equal(await contentHash(join(volsDr, 'web-dr.qcow2'), dir), expectedWebHash());

  // Another tenant's checkpoint and resource by URL: the API answers 404, and so do the pages.
  const foreignAnswer = page.waitForResponse((r) => r.url().endsWith(`/v1/checkpoints/${foreign.id}`));
  await page.goto(`${server.url}/checkpoints/${foreign.id}/restore`);
  assert.equal((await foreignAnswer).status(), 404);
  await page.getByRole('heading', { name: 'Checkpoint not found' }).waitFor();
  assert.doesNotMatch(await page.getByRole('main').innerText(), /secret/);
  await shot(t, page, 'restore-5-checkpoint-not-found');
  await page.goto(`${server.url}/resources/${foreign.resourceId}`);
  await page.getByRole('heading', { name: 'Resource not found' }).waitFor();
  assert.doesNotMatch(await page.getByRole('main').innerText(), /secret/);
  assert.deepEqual(errors, [], 'no script errors in the page');

  // A viewer: the same timeline, no Restore, Pin or Delete; the wizard by URL refuses.
  const viewer = await browser.newPage({ width: 800, height: 700 });
  const viewerErrors = scriptErrors(viewer);
  await signInAt(viewer, server.url, 'bob', BOB_PASSWORD, `/resources/${webId}`);
  const viewerItem = viewer.locator(`li[data-checkpoint-id="${checkpointId}"]`);
  await assertText(viewerItem, 'pinned');
  for (const name of ['Restore…', 'Pin', 'Unpin', 'Delete…', 'Back up now']) {
    assert.equal(await viewer.getByRole('button', { name, exact: true }).count() + await viewer.getByRole('link', { name, exact: true }).count(), 0, `a viewer has no ${name}`);
  }
  await shot(t, viewer, 'restore-6-checkpoints-viewer-narrow');
  await viewer.goto(`${server.url}/checkpoints/${checkpointId}/restore`);
  await assertText(viewer.getByRole('status'), 'not restore it');
  assert.equal(await viewer.getByRole('form', { name: 'Restore' }).count(), 0);
  assert.deepEqual(viewerErrors, []);

  // Delete, after confirming (declined first): a delete operation, and the checkpoint goes.
  await page.goto(`${server.url}/resources/${webId}`);
  const mine = page.locator(`li[data-checkpoint-id="${checkpointId}"]`);
  await mine.getByRole('button', { name: 'Delete…' }).click();
  const confirm = mine.getByRole('group', { name: /Delete the checkpoint of .* though it is pinned/ });
  await confirm.waitFor();
  await shot(t, page, 'restore-7-delete-confirm');
  await mine.getByRole('button', { name: 'No, keep it' }).click();
  await confirm.waitFor({ state: 'detached' });
  const deleting = page.waitForResponse((r) => r.url().endsWith(`/v1/checkpoints/${checkpointId}`) && r.request().method() === 'DELETE');
  await mine.getByRole('button', { name: 'Delete…' }).click();
  await mine.getByRole('button', { name: 'Yes, delete it' }).click();
  const deleteOp = ((await (await deleting).json()) as { id: string }).id;
  assert.equal((await admin.finished(deleteOp)).state, 'succeeded');
  await page.reload();
  await assertText(page.getByRole('region', { name: 'Checkpoints' }), 'No checkpoints yet.');
  assert.deepEqual(errors, []);
});
