// The web console in a real browser (Debian's Chromium, driven by playwright-core) against the real
// `cairn server` on PGlite with real volumes: served at / beside the API, which answers as before;
// a wrong password is refused and changes nothing; sign in with the keyboard; the dashboard counts
// protected and unprotected resources, lists the plan out of its RPO and follows a backup as it runs;
// sign out revokes the token. Each page is screenshotted into test-output/web for review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { assertText, openBrowser, scriptErrors, shot, SHOTS } from './browser.ts';
import { ADMIN_PASSWORD, ALICE_PASSWORD, tenantWithVolumes } from './tenant-fixture.ts';

test('the console: served beside the API, sign in, a dashboard that follows operations, sign out', async (t) => {
  const browser = await openBrowser(t);
  console.log(`screenshots in ${SHOTS}`);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  assert.match(server.output(), /web console at http:\/\/127\.0\.0\.1:\d+\//, 'the console is built (npm run build; scripts/setup.sh does it)');
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const { tenant, plans, strictMadeAt } = await tenantWithVolumes(admin, dir);

  // Beside the console, everything else answers as before; any other path is the app (a deep link).
  const deep = await fetch(`${server.url}/some/deep/link?x=1`);
  assert.equal(deep.status, 200);
  assert.match(deep.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(deep.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(await deep.text(), /<div id="root">/);
  const apiMissing = await call(`${server.url}/v1/nothing-here`);
  assert.equal(apiMissing.status, 404);
  assert.match(apiMissing.type, /^application\/problem\+json/);
  assert.equal((await call(`${server.url}/v1/me`)).status, 401, 'the API still needs a token');
  assert.equal((await fetch(`${server.url}/assets/not-there.js`)).status, 404, 'a missing asset is not answered with the page');
  const metrics = await fetch(`${server.url}/metrics`);
  assert.ok(/^text\/plain/.test(metrics.headers.get('content-type') ?? '') && /^cairn_protected_resources \d+$/m.test(await metrics.text()), '/metrics answers as before');
  assert.match(await (await fetch(`${server.url}/v1/docs/`)).text(), /<html/i);
  assert.deepEqual((await call(`${server.url}/healthz`)).body, { status: 'ok' });
  assert.equal((await call(`${server.url}/v1/openapi.json`)).status, 200);

  const page = await browser.newPage({ width: 1280, height: 800 });
  const failedRequests = scriptErrors(page);
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Cairn' }).waitFor();
  await shot(t, page, '1-sign-in');

  // A wrong password: an error, the form as it was, no session.
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await assertText(page.getByRole('alert'), 'Wrong username or password.');
  assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the wrong password is cleared');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'no session is kept');
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id), 'password', 'the password field has the focus, to try again');
  await shot(t, page, '2-sign-in-wrong-password');

  // Signed in with the keyboard alone: type the password, Enter.
  await page.keyboard.type(ALICE_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const header = page.getByRole('banner');
  await assertText(header, 'acme');
  await assertText(header, 'alice');
  await assertText(header, 'member');
  await assertText(page.getByTestId('protected-count'), '2');
  await assertText(page.getByTestId('unprotected-count'), '1');
  await assertText(page.getByText('No operations yet'), 'No operations yet');
  assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the token is kept in sessionStorage');
  await shot(t, page, '3-dashboard-empty');

  // A backup started elsewhere (the API, as the CLI would) shows up, and is followed to its end, without a reload.
  const backup = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plans.nightly });
  assert.equal(backup.status, 202, JSON.stringify(backup.body));
  const row = page.locator(`tr[data-operation-id="${backup.body.id}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), /Backup/);
  await row.getByText('succeeded').waitFor({ timeout: 120_000 });
  assert.match(await row.innerText(), /Done in/);
  await shot(t, page, '4-dashboard-backup');

  // The recent operations come newest first, one tenant's only (GET /v1/operations?order=newest&tenantId=).
  const scratch = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'scratch.qcow2')!.id;
  const second = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [scratch] })).body.id);
  const newest = (await admin.get<{ items: { id: string }[]; next: string | null }>(`/v1/operations?order=newest&limit=1&tenantId=${tenant}`)).body;
  assert.deepEqual([newest.items.map((o) => o.id), newest.next], [[second.id], second.id]);
  const older = (await admin.get<{ items: { id: string }[] }>(`/v1/operations?order=newest&limit=1&after=${second.id}&tenantId=${tenant}`)).body;
  assert.deepEqual(older.items.map((o) => o.id), [backup.body.id]);
  assert.deepEqual((await admin.get<{ items: unknown[] }>('/v1/operations?limit=5')).body.items.map((o) => (o as { id: string }).id), [backup.body.id, second.id], 'oldest first by default, as before');
  await page.locator(`tr[data-operation-id="${second.id}"]`).getByText('succeeded').waitFor();
  assert.equal(await page.locator('tr[data-operation-id]').first().getAttribute('data-operation-id'), second.id, 'the dashboard lists the newest first');

  // A minute after it was made, the plan never backed up is out of its RPO; the other keeps it.
  const wait = strictMadeAt + 62_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const late = (await admin.get<{ items: { id: string }[] }>('/v1/plans?outOfRpo=true')).body.items.map((p) => p.id);
  assert.deepEqual(late, [plans.strict]);
  await page.reload();
  await assertText(page.getByTestId('out-of-rpo-count'), '1');
  await assertText(page.getByRole('region', { name: 'Plans out of RPO' }), 'strict');
  assert.doesNotMatch(await page.getByRole('region', { name: 'Plans out of RPO' }).innerText(), /nightly/);
  await shot(t, page, '5-dashboard-out-of-rpo');

  // A path the console does not know, signed in: its own not-found page, with the shell around it.
  await page.goto(`${server.url}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await shot(t, page, '6-not-found');

  // Sign out revokes the token on the server and forgets it.
  const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('cairn.session') ?? '{}') as { token?: string }).token);
  assert.ok(token);
  assert.equal((await call(`${server.url}/v1/me`, { token })).status, 200);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await assertText(page.getByRole('status'), 'You are signed out.');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal((await call(`${server.url}/v1/me`, { token })).status, 401, 'the token is revoked');
  await shot(t, page, '7-signed-out');
  assert.deepEqual(failedRequests, [], 'no script errors in the page');
});

test('the console on a narrow laptop screen, and a session that ends on the server asks to sign in again', async (t) => {
  const browser = await openBrowser(t);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, CAIRN_WORKERS: '0' });
  const page = await browser.newPage({ width: 800, height: 700 });
  await page.goto(server.url);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // An operator on a server with no tenant yet: an empty state that says what to do.
  await page.getByRole('heading', { name: 'No tenant yet' }).waitFor();
  await assertText(page.getByRole('main'), 'POST /v1/tenants');
  await assertText(page.getByRole('banner'), 'operator');
  await shot(t, page, '8-operator-no-tenant-narrow');

  // The token is revoked behind the console's back (another tab signed out): the next call asks to sign in again.
  const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('cairn.session') ?? '{}') as { token: string; tokenId: string });
  assert.equal((await call(`${server.url}/v1/tokens/${session.tokenId}`, { method: 'DELETE', token: session.token })).status, 204);
  await page.reload();
  await assertText(page.getByRole('status'), 'Your session has ended. Sign in again.');
  await page.getByLabel('Username').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});
