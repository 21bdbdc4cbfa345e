// Progress as a user sees it: JSON lines with --json that end at 100%, and a bar on a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testkit/temp-dir.ts';
import { CLI, cairnOk, PASSPHRASE } from '../testkit/cli.ts';
import { makeImage } from '../testkit/files.ts';

const MiB = 1 << 20;

interface Line { phase: string; doneBytes: number; totalBytes: number; rate: number; etaSeconds?: number }

function progressOf(stderr: string): Line[] {
  return stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { progress: Line }).progress);
}

function assertComplete(lines: Line[], phase: string, total: number): void {
  assert.ok(lines.length > 0, 'no progress lines');
  for (const [i, l] of lines.entries()) {
    assert.equal(l.phase, phase);
    assert.ok(l.doneBytes <= l.totalBytes, `line ${i}: done ${l.doneBytes} > total ${l.totalBytes}`);
    if (i > 0) assert.ok(l.doneBytes >= lines[i - 1]!.doneBytes, 'progress went backwards');
  }
  assert.deepEqual([lines.at(-1)!.doneBytes, lines.at(-1)!.totalBytes], [total, total]);
}

test('--json progress counts what is read and ends at its total: image, tree with hard links, restore', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);
  // Data extents that end mid-block, and a short last block: reads are whole blocks.
  const image = join(dir, 'disk.img');
  await makeImage(image, 3 * MiB + 1000, [[100, 5000], [MiB + 70_000, 10], [3 * MiB, 1000]]);
  const backup = await cairnOk(['backup', 'image', image, '--bank', bank, '--name', 'disk', '--json']);
  const read = backup.json<{ id: string; readBytes: number }>();
  assertComplete(progressOf(backup.stderr), 'backup', read.readBytes);

  const tree = join(dir, 'tree');
  await mkdir(tree);
  await writeFile(join(tree, 'a'), Buffer.alloc(300_000, 1));
  await link(join(tree, 'a'), join(tree, 'b'));
  await writeFile(join(tree, 'c'), 'c');
  const files = await cairnOk(['backup', 'files', tree, '--bank', bank, '--name', 'tree', '--json']);
  assertComplete(progressOf(files.stderr), 'backup', 300_001);

  const restore = await cairnOk(['restore', read.id, '--bank', bank, '--to', join(dir, 'out.img'), '--json']);
  assertComplete(progressOf(restore.stderr), 'restore', 3 * MiB + 1000);
});

test('on a terminal, a backup draws a bar that reaches 100%', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), image = join(dir, 'disk.img');
  await cairnOk(['bank', 'init', bank]);
  await makeImage(image, 4 * MiB, [[0, 4 * MiB]]);
  // script(1) gives the command a pseudo-terminal, as an interactive shell would.
  const command = [process.execPath, CLI, 'backup', 'image', image, '--bank', bank, '--name', 'disk'].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { env: { ...process.env, CAIRN_PASSPHRASE: PASSPHRASE }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /backup \[#+\] 100\.0% 4\.00 MiB\/4\.00 MiB/);
});
