// Administration in the console, in a real browser (Debian's Chromium, driven by playwright-core)
// against the real `cairn server` on PGlite with a real volume: an operator creates a tenant (a bad
// name refused in the API's words) and a user (a short password refused, never shown), adds the user
// to the tenant, changes a role, removes a member after confirming, and sets a quota; after a real
// backup (which samples usage) the tenant's page shows its use of the quota and the usage report shows
// the volume, and Export CSV downloads the API's CSV for that tenant. The user, made the tenant's
// admin, signs in and sees the tenant, its members (she adds one by username) and its usage, but no
// Administration; a plain member of another tenant does not either, and both get "For operators only"
// at /admin/… while the API answers 403.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signIn, type Api } from '../testkit/api-client.ts';
import { call, startServer } from '../testkit/cairn-server.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ADMIN_PASSWORD, ALICE_PASSWORD, addUser } from './tenant-fixture.ts';

const CAROL_PASSWORD = 'carol keeps initech running';
const CSV_HEAD = 'hour,tenant_id,tenant,resource_id,resource,checkpoints,stored_bytes';

interface Member { userId: string; username: string; role: string }
const membersOf = async (admin: Api, tenant: string) => (await admin.get<{ items: Member[] }>(`/v1/tenants/${tenant}/members`)).body.items.map((m) => `${m.username}:${m.role}`);

/** Polls the API until `read` gives `want` (the page's change has reached it), or fails with what it gave last. */
async function until<T>(read: () => Promise<T>, want: T): Promise<void> {
  const deadline = Date.now() + 10_000;
  let got = await read();
  while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  assert.deepEqual(got, want);
}

/** A volume of `tenant`'s, backed up once through the API (as the CLI would): the backup samples usage. */
async function backedUpVolume(admin: Api, dir: string, tenant: string): Promise<string> {
  const vols = join(dir, 'initech-vols');
  await mkdir(vols);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'ledger.qcow2'), '32M']);
  await qemuWrite(join(vols, 'ledger.qcow2'), 'write -P 0x3c 0 4M');
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'initech-vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant })).body.id;
  assert.equal((await admin.send('POST', `/v1/hosts/${host}/discover`)).status, 200);
  const volume = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'ledger.qcow2')!.id;
  const op = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [volume] });
  assert.equal(op.status, 202, JSON.stringify(op.body));
  assert.equal((await admin.finished(op.body.id)).state, 'succeeded');
  return volume;
}

test('administration: tenants, users, members, quota and usage with a CSV export; a tenant admin manages members; others get "for operators only"', async (t) => {
  const browser = await openBrowser(t);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  await addUser(admin, acme, 'alice', ALICE_PASSWORD, 'member');
  const dave = (await admin.send<{ id: string }>('POST', '/v1/users', { username: 'dave', password: 'dave has a long password' })).body.id;
  const tenantNames = async () => (await admin.get<{ items: { name: string }[] }>('/v1/tenants')).body.items.map((x) => x.name).sort();

  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'admin', ADMIN_PASSWORD, '/admin/tenants');
  const adminNav = page.getByRole('group', { name: 'Administration' });
  await adminNav.waitFor();
  await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor();
  await assertText(page.getByRole('table', { name: 'Tenants' }), 'acme');

  // A bad name: the API's words, nothing made, the name left to fix; then a good one; then a taken one.
  await page.getByLabel('Tenant name').fill(' bad/name');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await assertText(page.getByRole('alert'), 'a tenant name has no slashes');
  assert.deepEqual(await tenantNames(), ['acme']);
  assert.equal(await page.getByLabel('Tenant name').inputValue(), ' bad/name');
  await page.getByLabel('Tenant name').fill('initech');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await assertText(page.getByRole('status'), 'Tenant initech created');
  await assertText(page.getByRole('table', { name: 'Tenants' }), 'initech');
  assert.deepEqual(await tenantNames(), ['acme', 'initech']);
  const initech = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/tenants')).body.items.find((x) => x.name === 'initech')!.id;
  await page.getByLabel('Tenant name').fill('initech');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await assertText(page.getByRole('alert'), 'a tenant named initech exists already');
  assert.deepEqual(await tenantNames(), ['acme', 'initech']);
  // The header's tenant picker knows the new tenant without a reload.
  await assertText(page.getByRole('banner').getByLabel('Tenant'), 'initech');
  await shot(t, page, 'admin-1-tenants');

  // Users: a short password is refused in the API's words and never shown; two that differ are caught here.
  await adminNav.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await assertText(page.getByRole('table', { name: 'Users' }), 'dave');
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Password again').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  await assertText(page.getByRole('alert'), 'a password has at least 12 characters');
  await page.getByLabel('Password', { exact: true }).fill(CAROL_PASSWORD);
  await page.getByLabel('Password again').fill(`${CAROL_PASSWORD}!`);
  await page.getByRole('button', { name: 'Create user' }).click();
  await assertText(page.getByRole('alert'), 'The two passwords differ');
  const usernames = async () => (await admin.get<{ items: { username: string }[] }>('/v1/users')).body.items.map((u) => u.username).sort();
  assert.deepEqual(await usernames(), ['admin', 'alice', 'dave']);
  await page.getByLabel('Password again').fill(CAROL_PASSWORD);
  await page.getByRole('button', { name: 'Create user' }).click();
  await assertText(page.getByRole('status'), 'User carol created');
  await assertText(page.getByRole('table', { name: 'Users' }), 'carol');
  assert.deepEqual(await usernames(), ['admin', 'alice', 'carol', 'dave']);
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is cleared once used');
  assert.ok(!(await page.content()).includes(CAROL_PASSWORD), 'the password is nowhere in the page');
  await shot(t, page, 'admin-2-users');

  // The tenant's page: add carol as a member, make her admin; add dave, then remove him after confirming.
  await adminNav.getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('link', { name: 'initech' }).click();
  await page.getByRole('heading', { name: 'initech', level: 1 }).waitFor();
  assert.equal(pathOf(page), `/admin/tenants/${initech}`);
  await assertText(page.getByRole('region', { name: 'Members' }), 'No members yet');
  await assertText(page.getByTestId('quota-checkpoints'), 'no limit');
  const addForm = page.getByRole('form', { name: 'Add a member' });
  await addForm.getByLabel('User').selectOption({ label: 'carol' });
  await addForm.getByLabel('Role').selectOption('member');
  await addForm.getByRole('button', { name: 'Add member' }).click();
  await page.getByLabel('Role of carol').waitFor();
  await until(() => membersOf(admin, initech), ['carol:member']);
  const carolId = (await admin.get<{ items: { id: string; username: string }[] }>('/v1/users')).body.items.find((u) => u.username === 'carol')!.id;
  // A role is picked, then saved: picking alone changes nothing.
  await page.getByLabel('Role of carol').selectOption('admin');
  assert.deepEqual(await membersOf(admin, initech), ['carol:member']);
  await page.locator(`tr[data-user-id="${carolId}"]`).getByRole('button', { name: 'Save role' }).click();
  await until(() => membersOf(admin, initech), ['carol:admin']);
  await page.locator(`tr[data-user-id="${carolId}"]`).getByRole('button', { name: 'Save role' }).waitFor({ state: 'detached' });
  await addForm.getByLabel('User').selectOption({ label: 'dave' });
  await addForm.getByLabel('Role').selectOption('viewer');
  await addForm.getByRole('button', { name: 'Add member' }).click();
  const daveRow = page.locator(`tr[data-user-id="${dave}"]`);
  await daveRow.waitFor();
  await until(() => membersOf(admin, initech), ['carol:admin', 'dave:viewer']);
  await daveRow.getByRole('button', { name: 'Remove…' }).click();
  await assertText(daveRow.getByRole('group'), 'Remove dave from initech?');
  await daveRow.getByRole('button', { name: 'Keep' }).click();
  assert.deepEqual(await membersOf(admin, initech), ['carol:admin', 'dave:viewer'], '"Keep" removes nobody');
  await daveRow.getByRole('button', { name: 'Remove…' }).click();
  await daveRow.getByRole('button', { name: 'Remove', exact: true }).click();
  await daveRow.waitFor({ state: 'detached' });
  assert.deepEqual(await membersOf(admin, initech), ['carol:admin']);

  // The quota: 5 checkpoints, 1 GiB, resources left empty (no limit).
  const quotaForm = page.getByRole('form', { name: 'Set the quota' });
  await quotaForm.getByLabel('Max checkpoints').fill('5');
  await quotaForm.getByLabel('Max stored').fill('1');
  await quotaForm.getByLabel('Unit').selectOption('GiB');
  await quotaForm.getByRole('button', { name: 'Save limits' }).click();
  await assertText(quotaForm.getByRole('status'), 'Limits saved.');
  const quota = (await admin.get<{ quota: unknown }>(`/v1/tenants/${initech}/quota`)).body.quota;
  assert.deepEqual(quota, { maxResources: null, maxCheckpoints: 5, maxStoredBytes: 1024 ** 3 });
  await assertText(page.getByTestId('quota-checkpoints'), '0 of 5');
  await assertText(page.getByTestId('quota-stored'), 'of 1.0 GiB');
  await assertText(page.getByTestId('quota-resources'), 'no limit');

  // A real backup of one of initech's volumes: its use of the quota shows, and the sampled usage.
  const volume = await backedUpVolume(admin, dir, initech);
  await page.reload();
  await assertText(page.getByTestId('quota-checkpoints'), '1 of 5');
  assert.equal(await page.getByTestId('quota-checkpoints').getByRole('meter').getAttribute('aria-valuenow'), '1');
  await shot(t, page, 'admin-3-tenant');

  await adminNav.getByRole('link', { name: 'Usage' }).click();
  await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
  await page.getByRole('form', { name: 'Filter usage' }).getByLabel('Tenant').selectOption({ label: 'initech' });
  assert.match(pathOf(page), new RegExp(`^/admin/usage\\?tenant=${initech}$`));
  const byResource = page.getByRole('table', { name: 'Usage by resource' });
  await assertText(byResource, 'ledger.qcow2');
  const stored = (await admin.get<{ usage: { storedBytes: number } }>(`/v1/tenants/${initech}/quota`)).body.usage.storedBytes;
  assert.ok(stored > 0);
  assert.match(await byResource.locator(`tr[data-resource-id="${volume}"]`).innerText(), /ledger\.qcow2\s+1\s+/);
  await shot(t, page, 'admin-4-usage');

  // Export CSV: the API's CSV for initech alone, saved through a Blob URL with a name.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  assert.match(download.suggestedFilename(), /^cairn-usage-initech-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = (await readFile((await download.path()), 'utf8')).trimEnd().split('\n');
  assert.equal(csv[0], CSV_HEAD);
  assert.ok(csv.length >= 2, csv.join('\n'));
  assert.ok(csv.slice(1).every((l) => l.includes(`,${initech},initech,`)), `initech's rows only:\n${csv.join('\n')}`);
  assert.ok(csv.slice(1).some((l) => l.includes(`,${initech},initech,${volume},ledger.qcow2,1,${stored}`)), csv.join('\n'));

  // A period that ends before it starts is refused on the page.
  await page.getByLabel('From').fill('2099-01-01');
  await assertText(page.getByRole('alert'), 'The period starts after it ends');
  assert.equal(await page.getByRole('button', { name: 'Export CSV' }).count(), 0);

  // At 1024×768 the tenant's page still holds together.
  const small = await browser.newPage({ width: 1024, height: 768 });
  await signInAt(small, server.url, 'admin', ADMIN_PASSWORD, `/admin/tenants/${initech}`);
  await small.getByLabel('Role of carol').waitFor();
  await shot(t, small, 'admin-5-tenant-1024');

  // carol, initech's admin: the tenant, a Members page where she manages roles, its usage; no Administration.
  const carol = await browser.newPage({ width: 1024, height: 768 });
  const carolErrors = scriptErrors(carol);
  await signInAt(carol, server.url, 'carol', CAROL_PASSWORD);
  await assertText(carol.getByRole('banner'), 'initech');
  await assertText(carol.getByRole('banner'), 'admin');
  assert.equal(await carol.getByRole('group', { name: 'Administration' }).count(), 0);
  await carol.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
  await carol.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
  await carol.getByLabel('Role of carol').waitFor();
  await assertText(carol.getByTestId('quota-checkpoints'), '1 of 5');
  assert.equal(await carol.getByRole('form', { name: 'Set the quota' }).count(), 0, 'the quota is the operators\' to set');
  // She cannot list accounts, so she adds one by its username; a wrong one says so and adds nobody.
  const carolAdd = carol.getByRole('form', { name: 'Add a member' });
  await carolAdd.getByLabel('Username').fill('nobody');
  await carolAdd.getByRole('button', { name: 'Add member' }).click();
  await assertText(carolAdd.getByRole('alert'), 'there is no user named nobody');
  assert.deepEqual(await membersOf(admin, initech), ['carol:admin']);
  await carolAdd.getByLabel('Username').fill('dave');
  await carolAdd.getByLabel('Role').selectOption('viewer');
  await carolAdd.getByRole('button', { name: 'Add member' }).click();
  await assertText(carolAdd.getByRole('status'), 'dave is now a viewer of this tenant.');
  await carol.locator(`tr[data-user-id="${dave}"]`).waitFor();
  assert.deepEqual(await membersOf(admin, initech), ['carol:admin', 'dave:viewer']);
  await shot(t, carol, 'admin-6-tenant-admin-members');
  await carol.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
  await assertText(carol.getByRole('table', { name: 'Usage by resource' }), 'ledger.qcow2');
  await shot(t, carol, 'admin-7-member-usage');
  await carol.goto(`${server.url}/admin/tenants`);
  await carol.getByRole('heading', { name: 'For operators only' }).waitFor();
  assert.equal(await carol.getByRole('table').count(), 0, 'no tenants listed');
  await shot(t, carol, 'admin-8-operators-only');
  const carolApi = await signIn(server.url, 'carol', CAROL_PASSWORD);
  assert.equal((await carolApi.get('/v1/users')).status, 403);
  assert.equal((await carolApi.send('POST', '/v1/tenants', { name: 'carols own' })).status, 403);
  assert.equal((await carolApi.send('PUT', `/v1/tenants/${initech}/quota`, { maxResources: null, maxCheckpoints: null, maxStoredBytes: null })).status, 403);
  assert.equal((await carolApi.send('PUT', `/v1/tenants/${initech}/members/${dave}`, { role: 'member' })).status, 200, 'a tenant admin may manage its members');
  assert.equal((await carolApi.get(`/v1/usage?tenantId=${acme}`)).status, 404, 'another tenant\'s usage is not found');

  // alice, a plain member of acme: no Administration, no Members link, "For operators only" at /admin/…, 403 from the API.
  const alice = await browser.newPage({ width: 1280, height: 800 });
  const aliceErrors = scriptErrors(alice);
  await signInAt(alice, server.url, 'alice', ALICE_PASSWORD, '/admin/users');
  await alice.getByRole('heading', { name: 'For operators only' }).waitFor();
  const nav = alice.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('group', { name: 'Administration' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Members' }).count(), 0);
  assert.equal(await alice.getByRole('table').count(), 0);
  assert.ok(!(await alice.content()).includes('carol'), 'no user account is shown');
  await alice.goto(`${server.url}/admin/tenants/${initech}`);
  await alice.getByRole('heading', { name: 'For operators only' }).waitFor();
  assert.ok(!(await alice.content()).includes('initech'));
  const aliceToken = await alice.evaluate(() => (JSON.parse(sessionStorage.getItem('cairn.session') ?? '{}') as { token: string }).token);
  assert.equal((await call(`${server.url}/v1/users`, { token: aliceToken })).status, 403);
  assert.equal((await call(`${server.url}/v1/tenants/${acme}/quota`, { method: 'PUT', token: aliceToken, body: { maxResources: 1, maxCheckpoints: 1, maxStoredBytes: 1 } })).status, 403);
  assert.equal((await call(`${server.url}/v1/tenants/${initech}/members`, { token: aliceToken })).status, 404);

  // The browser logs each refused request as a failed load: the bad tenant name, the taken one and the short password.
  const refused = errors.filter((e) => /status of 400/.test(e));
  assert.equal(refused.length, 3, errors.join('\n'));
  assert.deepEqual([...errors.filter((e) => !refused.includes(e)), ...carolErrors, ...aliceErrors], [], 'no script errors in the pages');
});
