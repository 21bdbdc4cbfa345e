// cairn forget and prune through the CLI (the rules themselves are tested on a table of dates in test/core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';

interface Listed { id: string; name: string }

test('prune keeps what the rules keep, per resource; --dry-run changes nothing', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  const ids: Record<string, string[]> = { db: [], web: [] };
  for (let i = 0; i < 4; i++) {
    for (const name of ['db', 'web']) {
      ids[name]!.push((await cairnOk(['backup', 'stream', '--bank', bank, '--name', name, '--json'], { input: `${name} ${i}\n` })).json<{ id: string }>().id);
    }
  }
  const dry = (await cairnOk(['prune', '--bank', bank, '--keep-last', '2', '--dry-run', '--json'])).json<{ remove: { id: string }[] }>();
  assert.equal(dry.remove.length, 4);
  assert.equal((await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Listed[]>().length, 8, '--dry-run removed checkpoints');

  await cairnOk(['prune', '--bank', bank, '--name', 'web', '--keep-last', '1']);
  let left = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Listed[]>();
  assert.deepEqual(left.filter((c) => c.name === 'web').map((c) => c.id), [ids.web![3]]);
  assert.equal(left.filter((c) => c.name === 'db').length, 4, '--name limits prune to one resource');

  await cairnOk(['prune', '--bank', bank, '--keep-last', '2']);
  left = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Listed[]>();
  assert.deepEqual(left.filter((c) => c.name === 'db').map((c) => c.id), ids.db!.slice(2));
  const restored = await cairnOk(['restore', ids.db![3]!, '--bank', bank, '--to', '-']);
  assert.equal(restored.stdout, 'db 3\n');
});

test('prune without a rule, with a bad count or duration, and forget of an unknown id change nothing', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  const id = (await cairnOk(['backup', 'stream', '--bank', bank, '--name', 's', '--json'], { input: 'x' })).json<{ id: string }>().id;
  for (const args of [[], ['--keep-last', 'two'], ['--keep-within', '3 weeks'], ['--keep-daily', '-1']]) {
    const r = await cairn(['prune', '--bank', bank, ...args]);
    assert.equal(r.code, 2, `prune ${args.join(' ')} exited ${r.code}`);
    assert.match(r.stderr, /cairn: /);
  }
  const r = await cairn(['forget', id, 'ffffffffffffffff', '--bank', bank]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no checkpoint ffffffffffffffff/);
  assert.equal((await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Listed[]>().length, 1, 'a failed forget removed something');
  await cairnOk(['forget', id.slice(0, 6), '--bank', bank]);
  assert.deepEqual((await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<Listed[]>(), []);
});
