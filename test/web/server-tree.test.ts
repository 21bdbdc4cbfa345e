// A libvirt server in the console's resources tree, in a real browser against the real server: an
// operator registers a libvirt host and gives a running domain to a tenant; its member sees the
// server with its two disks beneath it, backs the server up from the tree, and the server's page then
// holds a full checkpoint of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signIn } from '../testkit/api-client.ts';
import { startServer } from '../testkit/cairn-server.ts';
import { setupServer } from '../testkit/server.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { addUser, ADMIN_PASSWORD, ALICE_PASSWORD } from './tenant-fixture.ts';

test('a libvirt server shows with its disks beneath it, and backs up from the tree', async (t) => {
  const s = await setupServer(t, 'web');
  const browser = await openBrowser(t);
  const server = await startServer(t, ['--data', join(s.dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'kvm1', siteId: site, kind: 'libvirt', location: 'qemu:///system' });
  assert.equal((await admin.send('POST', `/v1/hosts/${host.body.id}/discover`)).status, 200);
  const domain = (await admin.get<{ items: { id: string; externalId: string }[] }>(`/v1/resources?hostId=${host.body.id}&type=server`)).body.items.find((r) => r.externalId === s.name);
  assert.ok(domain, `discovery found ${s.name}`);
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  assert.equal((await admin.send('PATCH', `/v1/resources/${domain.id}`, { tenantId: tenant })).status, 200);
  await addUser(admin, tenant, 'alice', ALICE_PASSWORD, 'member');

  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'alice', ALICE_PASSWORD, '/resources');
  const tree = page.getByRole('list', { name: 'Resources' });
  const serverItem = tree.locator(`li[data-resource-id="${domain.id}"]`);
  await serverItem.waitFor();
  // Only the tenant's server is at the top (other domains on this machine are nobody's), its disks beneath it.
  assert.equal(await tree.locator(':scope > li').count(), 1);
  const disks = serverItem.getByRole('list', { name: `Volumes of ${s.name}` });
  assert.deepEqual((await disks.locator(':scope > li .name').allInnerTexts()).sort(), ['vda', 'vdb']);
  await assertText(serverItem.locator('.resource-row').first(), 'Unprotected');
  await shot(t, page, 'server-tree-1-resources');

  const row = serverItem.locator('.resource-row').first();
  await row.getByRole('button', { name: 'Back up now' }).click();
  await row.getByRole('link', { name: /^follow operation / }).click();
  await page.getByTestId('operation-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
  await page.goBack();
  await row.getByRole('link', { name: s.name }).click();
  assert.equal(pathOf(page), `/resources/${domain.id}`);
  const item = page.getByRole('list', { name: 'Checkpoints' }).locator('li[data-checkpoint-id]').first();
  await item.waitFor();
  await assertText(item, 'full');
  await assertText(item, 'available');
  await shot(t, page, 'server-tree-2-server-checkpoints');
  assert.deepEqual(errors, []);
});
