// Operators' infrastructure pages in a real browser (Debian's Chromium, driven by playwright-core)
// against the real `cairn server` on PGlite with real volumes: the operator sees the site with its
// host and bank, both healthy; limits a host's operations, which the API then returns; discovers;
// edits a bank's upkeep (a bad schedule is refused and changes nothing); runs garbage collection and
// follows it to success; sees a bank whose directory was removed as unreachable, with the reason;
// creates an offering, which a tenant then sees among its policies. A tenant's member has no
// Administration links, and gets the operators-only page (the API answers 403).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { signIn } from '../testkit/api-client.ts';
import { startServer } from '../testkit/cairn-server.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { assertText, openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ADMIN_PASSWORD, ALICE_PASSWORD, tenantWithVolumes } from './tenant-fixture.ts';

interface HostJson { id: string; name: string; maxOperations: number | null }
interface BankJson { id: string; name: string; siteId: string; maintenance: Record<string, unknown> }

test('operators: sites, hosts and banks with their health, upkeep and GC, an unreachable bank, offerings; a member gets the operators-only page', async (t) => {
  const browser = await openBrowser(t);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = await tenantWithVolumes(admin, dir);
  const host = (await admin.get<{ items: HostJson[] }>('/v1/hosts')).body.items.find((h) => h.name === 'vols')!;
  const local = (await admin.get<{ items: BankJson[] }>('/v1/banks')).body.items.find((b) => b.name === 'local')!;

  // The site, its host and its bank, healthy; the Administration links are there for an operator.
  const page = await browser.newPage({ width: 1280, height: 800 });
  const errors = scriptErrors(page);
  await signInAt(page, server.url, 'admin', ADMIN_PASSWORD, '/');
  const adminNav = page.getByRole('group', { name: 'Administration' });
  await adminNav.getByRole('link', { name: 'Sites' }).click();
  await page.getByRole('heading', { name: 'Sites', level: 1 }).waitFor();
  const hostRow = page.getByRole('table', { name: 'Hosts of local' }).locator(`tr[data-host-id="${host.id}"]`);
  await assertText(hostRow, 'ok');
  assert.match(await hostRow.innerText(), /vols\s+volumes[\s\S]*acme[\s\S]*ok\s+0/);
  const bankRow = page.getByRole('table', { name: 'Banks of local' }).locator(`tr[data-bank-id="${local.id}"]`);
  await assertText(bankRow.locator('[data-health="ok"]'), 'ok');
  await shot(t, page, 'admin-infra-1-sites');

  // A host: its limit set here is what the API returns; discovery now says what it found.
  await hostRow.getByRole('link', { name: 'vols' }).click();
  await page.getByRole('heading', { name: /^vols/, level: 1 }).waitFor();
  assert.equal(pathOf(page), `/admin/hosts/${host.id}`);
  await assertText(page.locator('.facts'), 'none: served by the servers');
  await page.getByRole('spinbutton', { name: 'Operations at once' }).fill('2');
  await page.getByRole('button', { name: 'Save limit' }).click();
  await assertText(page.getByRole('status'), 'Saved: at most 2 at once');
  assert.equal((await admin.get<{ items: HostJson[] }>('/v1/hosts')).body.items.find((h) => h.id === host.id)!.maxOperations, 2);
  await assertText(page.locator('.facts'), '0 of at most 2');
  await page.getByRole('button', { name: 'Discover now' }).click();
  await assertText(page.getByRole('status'), 'Found 3 resources: 0 new, 0 missing.');
  await shot(t, page, 'admin-infra-2-host');
  assert.equal(await page.getByRole('button', { name: /Release/ }).count(), 0, 'no agent, nothing to release');

  // A new site, and a host registered there whose location does not exist: discovery fails and says why.
  await page.goto(`${server.url}/admin/sites`);
  await page.getByRole('button', { name: 'Register a host' }).and(page.locator(':enabled')).waitFor();
  await page.getByRole('button', { name: 'New site' }).click();
  await page.getByLabel('Site name').fill('edge');
  await page.getByRole('button', { name: 'Create site' }).click();
  const edge = page.getByRole('region', { name: 'edge' });
  await assertText(edge, 'No hosts at this site');
  await page.getByRole('button', { name: 'Register a host' }).click();
  const register = page.getByRole('form', { name: 'Register a host' });
  await register.getByLabel('Host name').fill('lost-vols');
  await register.getByLabel('Site').selectOption({ label: 'edge' });
  await register.getByLabel('Tenant').selectOption({ label: 'acme' });
  await register.getByLabel('Location').fill(join(dir, 'no-such-dir'));
  await register.getByRole('button', { name: 'Register host' }).click();
  const lost = edge.getByRole('table', { name: 'Hosts of edge' }).locator('tr[data-host-id]');
  await assertText(lost, 'never discovered');
  await lost.getByRole('link', { name: 'lost-vols' }).click();
  await page.getByRole('button', { name: 'Discover now' }).click();
  await assertText(page.getByRole('alert'), 'Cannot discover: discovery on host lost-vols');
  await assertText(page.getByRole('heading', { level: 1 }), 'discovery failed');
  await assertText(page.locator('.facts'), 'Last discovery error');
  const lostJson = (await admin.get<{ items: (HostJson & { tenantId: string; discoveryError: string | null })[] }>('/v1/hosts')).body.items.find((h) => h.name === 'lost-vols')!;
  assert.equal(lostJson.tenantId, acme.tenant);
  assert.ok(lostJson.discoveryError, 'the host keeps the reason');
  await shot(t, page, 'admin-infra-2-host-discovery-failed');

  // A bank: its health, then its upkeep; a schedule the API cannot read is refused and nothing changes.
  await page.goto(`${server.url}/admin/sites`);
  await bankRow.getByRole('link', { name: 'local' }).click();
  await page.getByRole('heading', { name: /^local/, level: 1 }).waitFor();
  await page.getByTestId('bank-reachable').waitFor();
  const upkeep = page.getByRole('form', { name: 'Upkeep' });
  await upkeep.getByLabel('Garbage collection schedule').fill('every sunday');
  await upkeep.getByRole('button', { name: 'Save upkeep' }).click();
  await assertText(upkeep.getByRole('alert'), 'Cannot save the upkeep');
  assert.deepEqual((await admin.get<{ items: BankJson[] }>('/v1/banks')).body.items.find((b) => b.id === local.id)!.maintenance, {});
  await upkeep.getByLabel('Garbage collection schedule').fill('weekly on sun at 04:00');
  await upkeep.getByLabel('Time zone').selectOption('Europe/Paris');
  await upkeep.getByLabel('Verify percent').fill('25');
  await upkeep.getByRole('button', { name: 'Save upkeep' }).click();
  await assertText(upkeep.getByRole('status'), 'Saved.');
  assert.deepEqual((await admin.get<{ items: BankJson[] }>('/v1/banks')).body.items.find((b) => b.id === local.id)!.maintenance,
    { gcSchedule: 'weekly on sun at 04:00', timeZone: 'Europe/Paris', samplePercent: 25 });

  // Garbage collection now, followed to success; the bank's health then shows it as the last one.
  await page.getByRole('button', { name: 'Run GC now' }).click();
  await page.getByRole('link', { name: 'follow the operation' }).click();
  await page.getByRole('heading', { name: /^Garbage collection/, level: 1 }).waitFor();
  await assertText(page.getByTestId('operation-state'), 'succeeded');
  const gcId = pathOf(page).split('/')[2]!;
  await shot(t, page, 'admin-infra-3-gc-operation');
  await page.goBack();
  const lastGc = page.locator('.facts div').filter({ hasText: 'Last garbage collection' });
  await assertText(lastGc, 'succeeded');
  assert.equal(await lastGc.getByRole('link').getAttribute('href'), `/operations/${gcId}`);
  await shot(t, page, 'admin-infra-4-bank');

  // A bank whose directory was removed: unreachable, with the reason, on the sites page and its own.
  const location = join(dir, 'offsite');
  const offsite = await admin.send<{ id: string }>('POST', '/v1/banks', { name: 'offsite', siteId: local.siteId, location, create: true });
  assert.equal(offsite.status, 201, JSON.stringify(offsite.body));
  await rm(location, { recursive: true });
  await page.goto(`${server.url}/admin/sites`);
  const gone = page.getByRole('table', { name: 'Banks of local' }).locator(`tr[data-bank-id="${offsite.body.id}"]`);
  await assertText(gone.locator('[data-health="bad"]'), 'unreachable');
  await assertText(gone, `${location} holds no Cairn bank`);
  await shot(t, page, 'admin-infra-5-unreachable');
  await gone.getByRole('link', { name: 'offsite' }).click();
  await assertText(page.getByTestId('bank-unreachable'), 'was it moved or removed?');
  const small = await browser.newPage({ width: 1024, height: 768 });
  await signInAt(small, server.url, 'admin', ADMIN_PASSWORD, '/admin/sites');
  await small.getByRole('table', { name: 'Banks of local' }).locator('[data-health="bad"]').waitFor();
  await shot(t, small, 'admin-infra-6-sites-1024');
  await small.goto(`${server.url}/admin/banks/${offsite.body.id}`);
  await small.getByTestId('bank-unreachable').waitFor();
  await shot(t, small, 'admin-infra-6-bank-unreachable-1024');

  // An offering, made with the policy form without a tenant; a tenant's plan then uses it.
  await adminNav.getByRole('link', { name: 'Offerings' }).click();
  await page.getByRole('heading', { name: 'Offerings', level: 1 }).waitFor();
  await assertText(page.getByRole('region', { name: 'Offerings' }), 'No offerings yet');
  await page.getByRole('link', { name: 'New offering' }).click();
  await page.getByLabel('Name', { exact: true }).fill('gold');
  await page.getByLabel('Keep last').fill('14');
  // Backup options only operators set, as JSON: text that is not JSON is refused before anything is sent.
  await page.getByLabel('Options (JSON)').fill('{"scratchDir": /var/tmp}');
  await page.getByRole('button', { name: 'Create offering' }).click();
  await assertText(page.getByRole('alert'), 'the backup options are not valid JSON');
  assert.equal((await admin.get<{ items: unknown[] }>('/v1/offerings')).body.items.length, 0, 'nothing was created');
  await page.getByLabel('Options (JSON)').fill('{"scratchDir": "/var/tmp/cairn-scratch"}');
  await shot(t, page, 'admin-infra-7-new-offering');
  await page.getByRole('button', { name: 'Create offering' }).click();
  await page.waitForURL(/\/policies\/(?!new)[^/]+$/);
  const gold = decodeURIComponent(pathOf(page).split('/')[2]!);
  await page.getByRole('heading', { name: 'gold', level: 1 }).waitFor();
  const saved = (await admin.get<{ tenantId: string | null; retention: Record<string, unknown>; options: Record<string, unknown> }>(`/v1/policies/${gold}`)).body;
  assert.deepEqual([saved.tenantId, saved.retention, saved.options], [null, { keepLast: 14 }, { scratchDir: '/var/tmp/cairn-scratch' }]);
  const plan = await admin.send('POST', '/v1/plans', { tenantId: acme.tenant, name: 'golden', policyId: gold, resourceIds: [acme.resources.get('scratch.qcow2')] });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  await page.goto(`${server.url}/admin/offerings`);
  const offering = page.getByRole('table', { name: 'Offerings' }).locator(`tr[data-policy-id="${gold}"]`);
  await assertText(offering, 'acme (1 plan)');
  await shot(t, page, 'admin-infra-8-offerings');
  assert.deepEqual(errors.filter((e) => !/status of (400|502)/.test(e)), [], 'no script errors but the refused schedule and the failed discovery');

  // A tenant's member: the offering among its policies, no Administration links, the operators-only page.
  const member = await browser.newPage({ width: 1280, height: 800 });
  await signInAt(member, server.url, 'alice', ALICE_PASSWORD, '/policies');
  await assertText(member.getByRole('table', { name: 'Offerings' }), 'gold');
  await member.getByRole('link', { name: 'gold' }).click();
  await member.getByRole('heading', { name: 'gold', level: 1 }).waitFor();
  assert.equal(await member.getByLabel('Options (JSON)').count(), 0, 'a tenant does not see an offering\'s operator options');
  assert.equal(await member.getByRole('group', { name: 'Administration' }).count(), 0);
  assert.equal(await member.getByRole('link', { name: /Sites|Offerings/ }).count(), 0);
  await member.goto(`${server.url}/admin/sites`);
  await member.getByRole('heading', { name: 'For operators only' }).waitFor();
  await shot(t, member, 'admin-infra-9-operators-only');
  await member.goto(`${server.url}/admin/banks/${local.id}`);
  await member.getByRole('heading', { name: 'For operators only' }).waitFor();
  const alice = await signIn(server.url, 'alice', ALICE_PASSWORD);
  for (const path of ['/v1/sites', '/v1/hosts', '/v1/banks', `/v1/banks/${local.id}/health`]) assert.equal((await alice.get(path)).status, 403, path);
  assert.equal((await alice.send('PATCH', `/v1/hosts/${host.id}`, { maxOperations: 5 })).status, 403);
  // Without a tenant, a member's policy is its own tenant's, never an offering.
  const own = await alice.send<{ tenantId: string | null }>('POST', '/v1/policies', { name: 'not an offering', retention: { keepLast: 1 } });
  assert.deepEqual([own.status, own.body.tenantId], [201, acme.tenant]);
});
