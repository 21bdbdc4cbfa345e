// docs/bank-format.md promises that its minimal reader restores from a bank with nothing but the
// document: run that very text against banks Cairn wrote, so the document cannot drift from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairnOk, PASSPHRASE } from '../testkit/cli.ts';
import { makeImage, writeAt } from '../testkit/files.ts';

const MiB = 1 << 20;

async function minimalReader(dir: string): Promise<string> {
  const doc = await readFile(resolve(import.meta.dirname, '../../docs/bank-format.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### A minimal reader'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'docs/bank-format.md has no minimal reader');
  const path = join(dir, 'reader.mjs');
  await writeFile(path, code);
  return path;
}

function read(reader: string, bank: string, command: string, id: string): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [reader, bank, PASSPHRASE, command, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(Buffer.concat(out)) : fail(new Error(`reader ${command} exited ${code}: ${Buffer.concat(err).toString()}`))));
  });
}

test("the document's minimal reader restores images and streams and lists trees that Cairn wrote", async (t) => {
  const dir = await tempDir(t);
  const reader = await minimalReader(dir);
  const bank = join(dir, 'bank');
  await cairnOk(['bank', 'init', bank]);

  // An image with holes, a zero block, a short last block; then an incremental of it.
  const image = join(dir, 'disk.img');
  await makeImage(image, 3 * MiB + 12345, [[0, MiB + 100], [2 * MiB, 200_000], [3 * MiB, 12345]]);
  await cairnOk(['backup', 'image', image, '--bank', bank, '--name', 'disk']);
  await writeAt(image, MiB / 2, Buffer.from('changed'));
  const incr = (await cairnOk(['backup', 'image', image, '--bank', bank, '--name', 'disk', '--json'])).json<{ id: string }>();
  assert.deepEqual(await read(reader, bank, 'image', incr.id), await readFile(image));

  const stream = Buffer.concat([Buffer.alloc(700_000, 1), Buffer.alloc(300_000), Buffer.from('tail')]);
  const s = (await cairnOk(['backup', 'stream', '--bank', bank, '--name', 'dump', '--json'], { input: stream })).json<{ id: string }>();
  assert.deepEqual(await read(reader, bank, 'stream', s.id), stream);

  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'sub'), { recursive: true });
  await writeFile(join(tree, 'sub', 'a.txt'), 'hello');
  await writeFile(join(tree, 'b.bin'), Buffer.alloc(100_000, 7));
  await symlink('sub/a.txt', join(tree, 'link'));
  const f = (await cairnOk(['backup', 'files', tree, '--bank', bank, '--name', 'tree', '--json'])).json<{ id: string }>();
  const listing = (await read(reader, bank, 'ls', f.id)).toString().trim().split('\n');
  assert.deepEqual(listing, ['file "b.bin" 100000', 'symlink "link" ', 'dir "sub" ', 'file "sub/a.txt" 5']);
});
