// Garbage collection: frees what nothing needs, and never what a checkpoint or a running backup needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { makeImage, sha256 } from '../testkit/files.ts';

interface GcJson { deletedPacks: number; deletedOrphans: number; deferredPacks: number; deletedBytes: number; liveSessions: number }

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [])).map((n) => join(dir, n));
}

async function bytesUnder(dir: string): Promise<number> {
  let n = 0;
  for (const p of await files(dir)) { const s = await stat(p); if (s.isFile()) n += s.size; }
  return n;
}

test('after forget, gc deletes the packs only the forgotten checkpoint used; the rest still restores', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), a = join(dir, 'a.img'), b = join(dir, 'b.img');
  await cairnOk(['bank', 'init', bank]);
  await makeImage(a, 8 << 20, [[0, 8 << 20]]);
  await makeImage(b, 8 << 20, [[0, 8 << 20]]);
  const ida = (await cairnOk(['backup', 'image', a, '--bank', bank, '--name', 'a', '--json'])).json<{ id: string }>().id;
  const idb = (await cairnOk(['backup', 'image', b, '--bank', bank, '--name', 'b', '--json'])).json<{ id: string }>().id;
  const before = await bytesUnder(join(bank, 'packs'));
  const dry = (await cairnOk(['gc', '--bank', bank, '--dry-run', '--json'])).json<GcJson>();
  assert.equal(dry.deletedPacks, 0, 'nothing is garbage yet');
  await cairnOk(['forget', ida, '--bank', bank]);
  const gc = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.ok(gc.deletedPacks >= 1, 'the forgotten checkpoint\'s packs are deleted');
  const after = await bytesUnder(join(bank, 'packs'));
  assert.ok(before - after > 7 << 20, `gc freed only ${before - after} bytes`);
  await cairnOk(['verify', '--bank', bank]);
  const out = join(dir, 'b.out');
  await cairnOk(['restore', idb, '--bank', bank, '--to', out]);
  assert.equal(await sha256(out), await sha256(b));
  const again = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.equal(again.deletedPacks + again.deletedOrphans, 0);
});

test('gc while a backup runs keeps every chunk the running backup reuses', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  const data = randomBytes(12 << 20);
  const first = (await cairnOk(['backup', 'stream', '--bank', bank, '--name', 'db', '--json'], { input: data })).json<{ id: string }>().id;

  // A second backup of the same data starts (and loads the index), then stalls on its input.
  let child: ChildProcess | undefined;
  const running = cairn(['backup', 'stream', '--bank', bank, '--name', 'db-copy', '--json'], { keepStdinOpen: true, onSpawn: (c) => { child = c; } });
  assert.ok(child);
  const session = async (): Promise<boolean> => (await files(join(bank, 'sessions'))).length > 0;
  for (let i = 0; i < 200 && !(await session()); i++) await sleep(50);
  assert.ok(await session(), 'the running backup registered its session');

  await cairnOk(['forget', first, '--bank', bank]);
  const gc = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.equal(gc.deletedPacks, 0, 'gc deleted packs a running backup may reuse');
  assert.ok(gc.deferredPacks >= 1, 'the forgotten checkpoint\'s packs wait for the running backup');
  assert.equal(gc.liveSessions, 1);

  child.stdin!.end(data);
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  const copy = result.json<{ id: string; writtenBytes: number }>();
  assert.ok(copy.writtenBytes < 1 << 20, 'the second backup reused the first one\'s chunks');

  const gc2 = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.equal(gc2.deletedPacks, 0, 'the reused packs are needed again');
  await cairnOk(['verify', '--bank', bank]);
  const restored = (await cairnOk(['restore', copy.id, '--bank', bank, '--to', '-'])).stdoutBytes;
  assert.ok(restored.equals(data), 'the restored stream differs');
});

test('packs left by a killed backup are removed by gc once older than the grace period', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), img = join(dir, 'big.img');
  await cairnOk(['bank', 'init', bank]);
  // Ten packs of data: the kill after the fourth lands well before the commit.
  await makeImage(img, 160 << 20, [[0, 160 << 20]]);
  let child: ChildProcess | undefined;
  const running = cairn(['backup', 'image', img, '--bank', bank, '--name', 'big'], { onSpawn: (c) => { child = c; } });
  const packsDir = join(bank, 'packs');
  for (let i = 0; i < 400 && (await files(packsDir)).filter((p) => !p.includes('.tmp-')).length < 4; i++) await sleep(25);
  child!.kill('SIGKILL');
  const r = await running;
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual((await cairnOk(['checkpoints', '--bank', bank, '--json'])).json<unknown[]>(), [], 'a killed backup left a visible checkpoint');

  const young = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.equal(young.deletedOrphans, 0, 'fresh orphans may belong to a backup that is still publishing');
  const old = new Date(Date.now() - 3 * 24 * 3600_000);
  for (const p of await files(packsDir)) if ((await stat(p)).isFile()) await utimes(p, old, old);
  // Time passes: the killed backup's session record stops being refreshed and goes stale.
  for (const p of await files(join(bank, 'sessions'))) await writeFile(p, JSON.stringify({ startedAt: old.getTime(), refreshedAt: old.getTime() }));
  const gc = (await cairnOk(['gc', '--bank', bank, '--json'])).json<GcJson>();
  assert.ok(gc.deletedOrphans >= 1);
  assert.equal((await files(packsDir)).filter((p) => p.split('/').length > packsDir.split('/').length + 1).length, 0, 'orphan packs remain');
  const done = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'big', '--json'])).json<{ id: string }>();
  await cairnOk(['verify', done.id, '--bank', bank]);
});
