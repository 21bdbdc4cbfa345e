// The web console in a real browser (Debian's Chromium, driven by playwright-core) against the real
// `cairn server` on PGlite with real volumes: served at / beside the API, which answers as before;
// a wrong password is refused and changes nothing; sign in with the keyboard; the dashboard counts
// protected and unprotected resources, lists the plan out of its RPO and follows a backup as it runs;
// sign out revokes the token. Each page is screenshotted into test-output/web for review.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, startServer } from '../testkit/cairn-server.ts';
import { signIn, type Api } from '../testkit/api-client.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-output', 'web');
const ADMIN_PASSWORD = 'operator passphrase for the console';
const ALICE_PASSWORD = 'alice has a long password';

/** Debian's Chromium, closed when the test ends; a failed test first leaves a screenshot of each of its pages as they were. */
async function openBrowser(t: TestContext): Promise<{ newPage(viewport: { width: number; height: number }): Promise<Page> }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the console's tests drive Debian's Chromium; run 'bash scripts/setup.sh test' (as root), or apt-get install chromium`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const pages: Page[] = [];
  t.after(async () => {
    if (!((t as TestContext & { passed?: boolean }).passed ?? true)) {
      for (const [i, page] of pages.entries()) {
        const path = join(SHOTS, `failed-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}-${i}.png`);
        await page.screenshot({ path, fullPage: true }).catch(() => undefined);
        console.error(`the page when the test failed: ${path}`);
      }
    }
    await browser.close();
  });
  return {
    async newPage(viewport) {
      const page = await browser.newPage({ viewport });
      pages.push(page);
      return page;
    },
  };
}

async function shot(t: TestContext, page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot ${path}`);
}

/** A tenant "acme" whose member alice owns three volumes: one in a plan that is backed up, one in a plan that will miss its one-minute RPO, one in none. */
async function tenantWithVolumes(t: TestContext, admin: Api, dir: string): Promise<{ tenant: string; plans: { nightly: string; strict: string }; strictMadeAt: number }> {
  const vols = join(dir, 'vols');
  await mkdir(vols);
  for (const name of ['web', 'db', 'scratch']) await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, `${name}.qcow2`), '64M']);
  await qemuWrite(join(vols, 'web.qcow2'), 'write -P 0x5a 0 16M');
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const alice = await admin.send<{ id: string }>('POST', '/v1/users', { username: 'alice', password: ALICE_PASSWORD });
  assert.equal(alice.status, 201, JSON.stringify(alice.body));
  assert.equal((await admin.send('PUT', `/v1/tenants/${tenant}/members/${alice.body.id}`, { role: 'member' })).status, 200);
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant })).body.id;
  assert.equal((await admin.send('POST', `/v1/hosts/${host}/discover`)).status, 200);
  const byName = new Map((await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.map((r) => [r.name, r.id]));
  const policy = (await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'manual', retention: { keepLast: 3 } })).body.id;
  const strictMadeAt = Date.now();
  const strict = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'strict', policyId: policy, resourceIds: [byName.get('db.qcow2')], rpoSeconds: 60 });
  const nightly = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'nightly', policyId: policy, resourceIds: [byName.get('web.qcow2')] });
  assert.equal(strict.status, 201, JSON.stringify(strict.body));
  assert.equal(nightly.status, 201, JSON.stringify(nightly.body));
  return { tenant, plans: { nightly: nightly.body.id, strict: strict.body.id }, strictMadeAt };
}

test('the console: served beside the API, sign in, a dashboard that follows operations, sign out', async (t) => {
  const browser = await openBrowser(t);
  await mkdir(SHOTS, { recursive: true });
  console.log(`screenshots in ${SHOTS}`);
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  assert.match(server.output(), /web console at http:\/\/127\.0\.0\.1:\d+\//, 'the console is built (npm run build; scripts/setup.sh does it)');
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const { tenant, plans, strictMadeAt } = await tenantWithVolumes(t, admin, dir);

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
  const failedRequests: string[] = [];
  page.on('pageerror', (err) => failedRequests.push(`page error: ${err.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) failedRequests.push(`console: ${m.text()}`); });
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
  await mkdir(SHOTS, { recursive: true });
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

/** Waits (playwright's default 30 s) until the element's text contains `text`. */
async function assertText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}
