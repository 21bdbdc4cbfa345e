// Imports point inward. Each layer lists the layers it may import; a wrong-way import fails the build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, dirname, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '..', 'src');
const allowed: Record<string, string[]> = {
  core: [],
  storage: ['core'],
  bank: ['core'],
  mover: ['core', 'bank'],
  nbd: ['core'],
  plugins: ['core', 'mover', 'nbd'],
  catalog: ['core'],
  jobs: ['core', 'catalog'],
  api: ['core', 'catalog', 'jobs'],
  cli: ['core', 'bank', 'mover', 'storage', 'plugins'],
  main: ['core', 'bank', 'mover', 'storage', 'nbd', 'plugins', 'catalog', 'jobs', 'api', 'cli'],
};

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

test('imports only point inward', async () => {
  const wrong: string[] = [];
  for await (const file of tsFiles(src)) {
    const layer = relative(src, file).split('/')[0]!;
    const rules = allowed[layer];
    assert.ok(rules, `src/${layer} is not a known layer; add it to test/layering.test.ts`);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(src, resolve(dirname(file), m[1]!)).split('/')[0]!;
      if (target !== layer && !rules.includes(target)) wrong.push(`${relative(src, file)} imports ${m[1]} (${layer} → ${target})`);
    }
  }
  assert.deepEqual(wrong, []);
});
