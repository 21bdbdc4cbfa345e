// Every page of the console, as a member and an operator see it, at a laptop's two common sizes: no WCAG 2 A/AA
// violation that axe-core finds (labelled controls, names, contrast, landmarks), nothing wider than
// the window; and the console used by keyboard alone: sign in, move between pages, reach the page's
// content with the skip link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertFinished } from './accessibility.ts';
import { openBrowser, pathOf, scriptErrors, shot, signInAt } from './browser.ts';
import { ADMIN_PASSWORD, ALICE_PASSWORD, serverWithTenants } from './tenant-fixture.ts';

/** Waits until the page at `path` has its heading and nothing of it is still loading. */
async function settled(page: Page, url: string, path: string): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  // A function, not a string: the page's CSP forbids eval, which playwright uses for a string here.
  await page.waitForFunction(() => {
    const d = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
    return !d.querySelector('.loading') && !d.querySelector('[aria-busy="true"]');
  });
}

test('each page is labelled, has no sideways scroll at 1280 and 1024 px, and the console works by keyboard', async (t) => {
  const browser = await openBrowser(t);
  const { server, admin, acme } = await serverWithTenants(t);
  const backup = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: acme.plans.nightly });
  assert.equal((await admin.finished(backup.body.id)).state, 'succeeded');
  const webId = acme.resources.get('web.qcow2')!;
  const checkpoint = (await admin.get<{ items: { id: string }[] }>(`/v1/checkpoints?resourceId=${webId}`)).body.items[0]!.id;
  const policy = (await admin.get<{ items: { id: string; tenantId: string | null }[] }>('/v1/policies')).body.items.find((p) => p.tenantId === acme.tenant)!.id;
  const paths = ['/', '/resources', `/resources/${webId}`, `/checkpoints/${checkpoint}/restore`, '/plans', '/policies', '/policies/new', `/policies/${policy}`, '/operations', `/operations/${backup.body.id}`, '/no-such-page'];

  const host = (await admin.get<{ items: { id: string }[] }>('/v1/hosts')).body.items[0]!.id;
  const bank = (await admin.get<{ items: { id: string }[] }>('/v1/banks')).body.items[0]!.id;
  const operatorPaths = ['/admin/tenants', `/admin/tenants/${acme.tenant}`, '/admin/users', '/admin/usage', '/admin/sites', `/admin/hosts/${host}`, `/admin/banks/${bank}`, '/admin/offerings', '/admin/offerings/new'];
  const visits = [['alice', ALICE_PASSWORD, [...paths, '/members', '/usage']], ['admin', ADMIN_PASSWORD, operatorPaths]] as const;

  for (const viewport of [{ width: 1280, height: 800 }, { width: 1024, height: 768 }]) {
    for (const [user, password, pages] of visits) {
      const page = await browser.newPage(viewport);
      const errors = scriptErrors(page);
      await signInAt(page, server.url, user, password);
      for (const path of pages) {
        await settled(page, server.url, path);
        await assertFinished(page, `${path} at ${viewport.width} px`);
      }
      if (viewport.width === 1024) await shot(t, page, `finish-1024-${user}`);
      assert.deepEqual(errors, []);
    }
  }

  // By keyboard alone: the sign-in form, then the skip link and the side navigation.
  const page = await browser.newPage({ width: 1280, height: 800 });
  await page.goto(`${server.url}/plans`);
  await page.getByLabel('Username').focus();
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ALICE_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Skip to content', 'the first stop is the skip link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'main', 'the skip link moves focus to the content');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  assert.equal(pathOf(page), '/operations');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'main', 'after a move, focus is on the new page, as after a page load');
});
