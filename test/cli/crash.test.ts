// A backup killed with SIGKILL at any moment leaves no visible checkpoint, and the next backup and verify succeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { makeImage, sha256, writeAt } from '../testkit/files.ts';

test('SIGKILL at random moments of a backup never leaves a half-visible checkpoint', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), img = join(dir, 'disk.img');
  await cairnOk(['bank', 'init', bank]);
  await makeImage(img, 64 << 20, [[0, 64 << 20]]);
  const first = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'disk', '--json'])).json<{ id: string }>();
  const expected = [first.id];
  // Kill points spread over start-up, reading, uploading and committing.
  const delays = [5, 150, 400, 700, 1000, 1300, 1700, 2200];
  for (const [i, delay] of delays.entries()) {
    await writeAt(img, (i * 7 + 3) << 20, Buffer.alloc(3 << 20, i + 1));
    let child: ChildProcess | undefined;
    const run = cairn(['backup', 'image', img, '--bank', bank, '--name', 'disk', '--full', '--json'], { onSpawn: (c) => { child = c; } });
    await sleep(delay + Math.floor(Math.random() * 100));
    child!.kill('SIGKILL');
    const r = await run;
    if (r.code === 0) expected.push(r.json<{ id: string }>().id); // finished before the kill: it must be complete
    const listed = (await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<{ id: string }[]>().map((c) => c.id);
    // Killed after its manifest was written but before it exited, a backup is complete: it may be
    // listed, and the verify below must find all of it.
    const late = listed.filter((id) => !expected.includes(id));
    if (r.code !== 0 && late.length === 1) expected.push(late[0]!);
    assert.deepEqual(listed.sort(), [...expected].sort(), `after a kill at ${delay} ms the checkpoints are not what completed`);
    await cairnOk(['verify', '--bank', bank]);
  }
  const last = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'disk', '--json'])).json<{ id: string }>();
  await cairnOk(['verify', '--bank', bank]);
  const out = join(dir, 'out.img');
  await cairnOk(['restore', last.id, '--bank', bank, '--to', out]);
  assert.equal(await sha256(out), await sha256(img));
});
