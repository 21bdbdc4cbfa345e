// What "looks finished" means in the console's tests, checked on a page as it is shown: axe-core's
// WCAG 2 A/AA rules (every control labelled, names, roles, contrast, landmarks), and no sideways
// scrolling at the width the page is shown at.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation { id: string; help: string; nodes: { target: string[]; failureSummary?: string }[] }

/**
 * The axe-core violations of the page as it is now, each as "rule: help (where)". axe is evaluated
 * through the DevTools protocol, which the console's CSP (script-src 'self') does not govern.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(await axeSource);
  // Expressions as strings: they run in the page, whose DOM types the tests' compiler does not know.
  const violations = await page.evaluate<Violation[]>(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)`);
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')})`);
}

/** The page has no WCAG A/AA violation, and nothing wider than the window (no sideways scroll). */
export async function assertFinished(page: Page, what: string): Promise<void> {
  assert.deepEqual(await accessibilityViolations(page), [], `${what}: accessibility`);
  const { scroll, width } = await page.evaluate<{ scroll: number; width: number }>('({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth })');
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide in a ${width} px window`);
}
