// Damage in the bank: verify names exactly the damaged checkpoints; restore refuses to write bad data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { access, open, readdir, stat } from 'node:fs/promises';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { randomBytes } from 'node:crypto';
import { makeImage, writeAt } from '../testkit/files.ts';

async function packsOf(bank: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(bank, 'packs'), { recursive: true })) {
    const p = join(bank, 'packs', name);
    if ((await stat(p)).isFile()) out.push(p);
  }
  return out;
}

async function flipByte(path: string, at: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0]! ^= 0x01;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

test('a flipped bit in a chunk: verify names the damaged checkpoint only, restore fails and writes nothing', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  const a = join(dir, 'a.img'), b = join(dir, 'b.img');
  await makeImage(a, 4 << 20, [[0, 4 << 20]]);
  const ida = (await cairnOk(['backup', 'image', a, '--bank', bank, '--name', 'a', '--json'])).json<{ id: string }>().id;
  const packsA = new Set(await packsOf(bank));
  await makeImage(b, 4 << 20, [[0, 4 << 20]]);
  const idb = (await cairnOk(['backup', 'image', b, '--bank', bank, '--name', 'b', '--json'])).json<{ id: string }>().id;
  const packsB = (await packsOf(bank)).filter((p) => !packsA.has(p));
  const dataPack = (await Promise.all(packsB.map(async (p) => ({ p, size: (await stat(p)).size })))).sort((x, y) => y.size - x.size)[0]!.p;
  await flipByte(dataPack, 1000);

  const clean = await cairnOk(['verify', ida, '--bank', bank, '--json']);
  assert.equal(clean.json<{ ok: boolean }>().ok, true);
  const all = await cairn(['verify', '--bank', bank, '--json']);
  assert.equal(all.code, 3, 'verify must exit 3 on damage: ' + all.stderr.slice(-2000));
  const report = all.json<{ ok: boolean; checkpoints: { id: string; damaged: boolean }[] }>();
  assert.equal(report.ok, false);
  assert.deepEqual(report.checkpoints.filter((c) => c.damaged).map((c) => c.id), [idb]);
  const human = await cairn(['verify', '--bank', bank]);
  assert.match(human.stdout, new RegExp(`DAMAGED checkpoint ${idb}`));
  assert.match(human.stderr, new RegExp(idb));

  const out = join(dir, 'restored.img');
  const restore = await cairn(['restore', idb, '--bank', bank, '--to', out]);
  assert.equal(restore.code, 3);
  assert.match(restore.stderr, /integrity check|does not match/);
  await assert.rejects(access(out), 'a failed restore left a file behind');
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('partial')), []);
});

test('a missing pack is reported as damage of the checkpoints that need it', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), img = join(dir, 'a.img');
  await cairnOk(['bank', 'init', bank]);
  await makeImage(img, 2 << 20, [[0, 2 << 20]]);
  const id = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'a', '--json'])).json<{ id: string }>().id;
  const { rm } = await import('node:fs/promises');
  for (const p of await packsOf(bank)) await rm(p);
  const r = await cairn(['verify', '--bank', bank, '--json']);
  assert.equal(r.code, 3);
  assert.deepEqual(r.json<{ checkpoints: { id: string; damaged: boolean }[] }>().checkpoints.map((c) => [c.id, c.damaged]), [[id, true]]);
});

test('a chain sharing index pages: each checkpoint counts all its chunks, and damage in a shared chunk marks every one', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), img = join(dir, 'a.img');
  await cairnOk(['bank', 'init', bank]);
  const MiB = 1 << 20;
  // Four index pages (64 MiB of blocks each), 16 blocks of data in each; the incremental adds a block
  // where the second page had a hole, so every block of the full backup is in all three checkpoints.
  await makeImage(img, 256 * MiB, [[0, MiB], [70 * MiB, MiB], [140 * MiB, MiB], [210 * MiB, MiB]]);
  const full = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'a', '--json'])).json<{ id: string }>().id;
  const fullPacks = await packsOf(bank);
  await writeAt(img, 100 * MiB, randomBytes(64 << 10));
  const incr = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'a', '--json'])).json<{ id: string }>().id;
  const again = (await cairnOk(['backup', 'image', img, '--bank', bank, '--name', 'b', '--json'])).json<{ id: string }>().id;

  type Report = { ok: boolean; chunksChecked: number; checkpoints: { id: string; damaged: boolean; chunks: number }[] };
  const clean = (await cairnOk(['verify', '--bank', bank, '--json'])).json<Report>();
  assert.equal(clean.ok, true);
  assert.deepEqual(clean.checkpoints.map((c) => [c.id, c.chunks]), [[full, 64], [incr, 65], [again, 65]]);
  assert.equal(clean.chunksChecked, 65, 'each distinct chunk is checked once');

  // The full backup's data pack (its largest) holds blocks all three checkpoints use.
  const dataPack = (await Promise.all(fullPacks.map(async (p) => ({ p, size: (await stat(p)).size })))).sort((x, y) => y.size - x.size)[0]!.p;
  await flipByte(dataPack, 1000);
  const damaged = await cairn(['verify', '--bank', bank, '--json']);
  assert.equal(damaged.code, 3);
  assert.deepEqual(damaged.json<Report>().checkpoints.map((c) => [c.id, c.damaged]), [[full, true], [incr, true], [again, true]]);
});
