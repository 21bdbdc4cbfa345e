// The browser the console's tests drive (Debian's Chromium through playwright-core), screenshots for
// review in test-output/web, and the few steps every console test takes (sign in, wait for text).
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-output', 'web');

/** Debian's Chromium, closed when the test ends; a failed test first leaves a screenshot of each of its pages as they were. */
export async function openBrowser(t: TestContext): Promise<{ newPage(viewport: { width: number; height: number }): Promise<Page> }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the console's tests drive Debian's Chromium; run 'bash scripts/setup.sh test' (as root), or apt-get install chromium`);
  await mkdir(SHOTS, { recursive: true });
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
      // A context per page: its own sessionStorage, so two pages can be two users.
      const page = await (await browser.newContext({ viewport })).newPage();
      pages.push(page);
      return page;
    },
  };
}

export async function shot(t: TestContext, page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot ${path}`);
}

/** Opens the console at `path` and signs in with the form, as a user does; returns when the signed-in shell shows. */
export async function signInAt(page: Page, url: string, username: string, password: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Waits (playwright's default 30 s) until the element's text contains `text`. */
export async function assertText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}

/** Collects script errors of a page, to assert at the end that there were none. */
export function scriptErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    // A 401 (a revoked token), or a 404 a test asks for, is logged by the browser as a failed load; not a script error.
    if (m.type() === 'error' && !/401|404|Unauthorized|Not Found/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** The page's path and query: where the console's router is. */
export function pathOf(page: Page): string {
  const u = new URL(page.url());
  return u.pathname + u.search;
}
