// File trees through the CLI: what is backed up comes back with all its metadata, incrementals
// read only what changed, ls shows the catalog, and --include / --exclude select what they say.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { writeCondemned } from '../../src/bank/gc-state.ts';
import { openTestBank } from '../testkit/bank.ts';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { allocated } from '../testkit/files.ts';
import { at, BAD_UTF8_NAME, buildTree, hasAttrTools, isRoot, MiB, NEWLINE_NAME, RANDOM_SIZE, snapshotTree, SPARSE_SIZE, type NodeInfo } from '../testkit/tree.ts';

interface BackupJson { id: string; parent: string | null; sourceBytes: number; readBytes: number; writtenBytes: number; durationMs: number }

interface Setup { dir: string; bank: string; src: string }

/** A bank and the reference tree, ready to back up. */
async function setup(t: TestContext): Promise<Setup> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), src = join(dir, 'src');
  await mkdir(src);
  await buildTree(src);
  await cairnOk(['bank', 'init', bank]);
  return { dir, bank, src };
}

async function backup(s: Setup, ...extra: string[]): Promise<BackupJson> {
  return (await cairnOk(['backup', 'files', s.src, '--bank', s.bank, '--name', 'tree', '--json', ...extra])).json<BackupJson>();
}

/** Restores `id` into a new directory and returns its path. */
async function restore(s: Setup, id: string, name: string, ...extra: string[]): Promise<string> {
  const to = join(s.dir, name);
  await cairnOk(['restore', id, '--bank', s.bank, '--to', to, ...extra]);
  return to;
}

async function ls(s: Setup, id: string, ...args: string[]): Promise<string[]> {
  const out = (await cairnOk(['ls', id, '--bank', s.bank, ...args])).stdout;
  return out.split('\n').slice(0, -1);
}

/** The sum of the sizes of the regular files under `root`, each hard-link group once. */
async function distinctFileBytes(root: string): Promise<number> {
  let total = 0;
  for (const [p, info] of await snapshotTree(root)) if (info.type === 'file' && (info.links?.[0] ?? p) === p) total += info.size!;
  return total;
}

const paths = (snap: Array<[string, NodeInfo]>): string[] => snap.map(([p]) => JSON.parse(p) as string);

test('a restored tree equals its source: types, modes, owners, mtimes, contents, links, xattrs, odd names', async (t) => {
  const s = await setup(t);
  const before = await snapshotTree(s.src);
  const b = await backup(s);
  assert.equal(b.parent, null);
  assert.equal(b.readBytes, await distinctFileBytes(s.src), 'every file is read once, a hard-link group once');

  const out = await restore(s, b.id, 'restored');
  assert.deepEqual(await snapshotTree(out), before);
  assert.deepEqual(await snapshotTree(s.src), before, 'the backup changed its source');

  // The same, spelled out for what matters most to a user.
  const kinds = Object.fromEntries(before.map(([p, i]) => [JSON.parse(p) as string, i]));
  assert.equal(kinds.pipe!.type, 'fifo');
  assert.equal(kinds.dangling!.target, 'no/such/file');
  assert.equal(kinds['abs-link']!.target, '/etc/hostname');
  assert.equal(kinds.suid!.mode, '4755');
  assert.equal(kinds.emptydir!.type, 'dir');
  assert.equal(kinds['random.bin']!.size, RANDOM_SIZE);
  assert.deepEqual(await readdir(join(out, 'emptydir')), []);
  assert.equal(await readFile(at(out, BAD_UTF8_NAME, 'inner'), 'utf8'), 'under a non-UTF-8 directory\n');
  assert.equal(await readFile(at(out, NEWLINE_NAME), 'utf8'), 'newline in name\n');
  const ino = async (p: string): Promise<number> => (await lstat(join(out, p))).ino;
  assert.equal(await ino('nested/hl-b'), await ino('hl-a'));
  assert.equal(await ino('zz-hl-c'), await ino('hl-a'));
  assert.equal((await stat(join(out, 'sparse.bin'))).size, SPARSE_SIZE);
  assert.ok(await allocated(join(out, 'sparse.bin')) < 1 * MiB, 'the restored sparse file is not sparse');
  if (isRoot) assert.deepEqual([kinds.private!.uid, kinds.private!.gid, kinds['rel-link']!.uid], [1234, 5678, 4321]);
  if (hasAttrTools) assert.equal(kinds['xattr.txt']!.xattrs?.length, 3);
  assert.deepEqual((await readdir(out)).filter((n) => n.startsWith('.cairn')), [], 'restore left temporary files');
});

test('an incremental reads only the changed file, and each checkpoint restores its own version', async (t) => {
  const s = await setup(t);
  const first = await snapshotTree(s.src);
  const full = await backup(s);

  const changed = 'hello, changed world\n';
  await writeFile(join(s.src, 'hello.txt'), changed);
  const second = await snapshotTree(s.src);
  const incr = await backup(s);
  assert.equal(incr.parent, full.id, 'the default parent is the newest checkpoint of the name');
  assert.equal(incr.readBytes, Buffer.byteLength(changed), 'unchanged files were read again');
  assert.ok(incr.sourceBytes > RANDOM_SIZE + SPARSE_SIZE, `sourceBytes ${incr.sourceBytes} does not cover the whole tree`);
  assert.ok(incr.writtenBytes < 256 * 1024, `an incremental of one small file wrote ${incr.writtenBytes} bytes`);

  assert.deepEqual(await snapshotTree(await restore(s, full.id, 'first')), first);
  assert.deepEqual(await snapshotTree(await restore(s, incr.id, 'second')), second);
  assert.equal(await readFile(join(s.dir, 'first', 'hello.txt'), 'utf8'), 'hello\n');
  assert.equal(await readFile(join(s.dir, 'second', 'hello.txt'), 'utf8'), changed);

  const again = await backup(s, '--full');
  assert.equal(again.parent, null);
  assert.equal(again.readBytes, await distinctFileBytes(s.src), '--full reads every file');
});

test('an incremental whose parent catalog is in a condemned pack reads everything, says so, and restores right', async (t) => {
  const s = await setup(t);
  await backup(s);
  // The full backup's metadata pack (catalog) is the smaller of its two packs. A GC that found it dead
  // (it cannot here, but a pack condemned and then reused by a running writer looks like this) leaves it
  // out of every later writer's index.
  const packs = [...await packSizes(s.bank)].sort((a, b) => a[1] - b[1]);
  assert.equal(packs.length, 2, `expected a data and a metadata pack, got ${packs.length}`);
  const bank = await openTestBank(s.bank);
  await writeCondemned(bank.storage, bank.keys.dataKey, Date.now(), [basename(packs[0]![0])]);

  const snapshot = await snapshotTree(s.src);
  const incr = (await cairnOk(['backup', 'files', s.src, '--bank', s.bank, '--name', 'tree', '--json'])).json<BackupJson & { warnings?: string[] }>();
  assert.equal(incr.readBytes, await distinctFileBytes(s.src), 'without a readable parent every file is read');
  assert.match((incr.warnings ?? []).join('\n'), /parent-unreadable: .*catalog of parent checkpoint/);
  assert.deepEqual(await snapshotTree(await restore(s, incr.id, 'restored')), snapshot);
});

async function packSizes(bank: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of await readdir(join(bank, 'packs'), { recursive: true })) {
    const p = join(bank, 'packs', name);
    const st = await stat(p);
    if (st.isFile()) sizes.set(p, st.size);
  }
  return sizes;
}

test('ls lists direct children, -r the subtree, -l the metadata; odd names print escaped on one line', async (t) => {
  const s = await setup(t);
  const { id } = await backup(s);
  assert.deepEqual(await ls(s, id), [
    'abs-link', 'dangling', 'empty', 'emptydir/', 'f\\xff\\xfe/', 'hello.txt', 'hl-a', 'nested/', 'new\\x0aline',
    'pipe', 'private', 'random.bin', 'rel-link', 'sparse.bin', 'suid', 'xattr.txt', 'zz-hl-c',
  ]);
  assert.deepEqual(await ls(s, id, 'nested'), ['nested/deep/', 'nested/hl-b', 'nested/odd-link']);
  assert.deepEqual(await ls(s, id, '/nested/deep/'), ['nested/deep/er/'], 'leading and trailing slashes are ignored');
  assert.deepEqual(await ls(s, id, 'nested/hl-b'), ['nested/hl-b'], 'a file lists itself');

  const all = await ls(s, id, '-r');
  assert.equal(all.length, (await snapshotTree(s.src)).length, 'one line per entry');
  for (const p of ['nested/deep/er/file.txt', 'f\\xff\\xfe/inner', 'new\\x0aline', 'nested/deep/er/']) assert.ok(all.includes(p), `ls -r lacks ${p}`);
  assert.deepEqual(await ls(s, id, 'nested', '-r'), ['nested/deep/', 'nested/deep/er/', 'nested/deep/er/file.txt', 'nested/hl-b', 'nested/odd-link']);

  const long = await ls(s, id, '-l');
  assert.equal(long.length, 17);
  assert.match(long.find((l) => l.endsWith(' private'))!, isRoot ? /^-0600\s+1234\s+5678\s+7 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d private$/ : /^-0600 /);
  assert.match(long.find((l) => l.includes(' rel-link'))!, /^l0777 .* rel-link -> nested\/deep$/);
  assert.match(long.find((l) => l.includes(' pipe'))!, /^p0640 /);
  assert.match(long.find((l) => l.includes(' suid'))!, /^-4755 /);
  assert.match((await ls(s, id, '-l', 'nested'))[2]!, /nested\/odd-link -> \.\.\/f\\xff\\xfe$/);

  const json = (await cairnOk(['ls', id, '--bank', s.bank, '--json'])).json<Array<Record<string, unknown>>>();
  const dangling = json.find((e) => e.path === 'dangling')!;
  assert.deepEqual([dangling.type, dangling.target], ['symlink', 'no/such/file']);
  assert.equal(json.find((e) => e.path === 'random.bin')!.size, RANDOM_SIZE);

  const missing = await cairn(['ls', id, '--bank', s.bank, 'nested/nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no path nested\/nope in checkpoint/);
  assert.equal(missing.stdout, '');
});

test('--include restores only the selected paths with their parent directories', async (t) => {
  const s = await setup(t);
  const source = new Map(await snapshotTree(s.src));
  const { id } = await backup(s);
  const out = await restore(s, id, 'picked', '--include', 'nested/deep/er/file.txt', '--include', '/zz-hl-c');
  const got = await snapshotTree(out);
  assert.deepEqual(paths(got), ['nested', 'nested/deep', 'nested/deep/er', 'nested/deep/er/file.txt', 'zz-hl-c']);
  for (const [p, info] of got) {
    // zz-hl-c is one path of a hard-link group whose others were not selected: a file of its own.
    const { links: _links, ...want } = source.get(p)!;
    assert.deepEqual(info, want, `restored ${p} differs from the source`);
  }

  const dir = await restore(s, id, 'a-dir', '--include', 'nested/deep');
  assert.deepEqual(paths(await snapshotTree(dir)), ['nested', 'nested/deep', 'nested/deep/er', 'nested/deep/er/file.txt']);
});

test('an --include that matches nothing fails with a clear message and restores nothing', async (t) => {
  const s = await setup(t);
  const { id } = await backup(s);
  const to = join(s.dir, 'nothing');
  const r = await cairn(['restore', id, '--bank', s.bank, '--to', to, '--include', 'no/such/path']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`no such path in checkpoint ${id}: no/such/path`));
  assert.deepEqual(await readdir(to).catch(() => []), [], 'something was restored');
});

test('--exclude leaves out matching files and whole directories', async (t) => {
  const dir = await tempDir(t);
  const s: Setup = { dir, bank: join(dir, 'bank'), src: join(dir, 'src') };
  for (const d of ['build/obj', 'sub/build', 'notes']) await mkdir(join(s.src, d), { recursive: true });
  for (const f of ['keep.txt', 'a.tmp', 'sub/b.tmp', 'sub/keep.c', 'build/out.o', 'build/obj/x.o', 'sub/build/deep.o', 'notes/build']) {
    await writeFile(join(s.src, f), f);
  }
  await cairnOk(['bank', 'init', s.bank]);
  const { id } = await backup(s, '--exclude', '*.tmp', '--exclude', 'build/');
  const kept = ['keep.txt', 'notes/', 'notes/build', 'sub/', 'sub/keep.c'];
  assert.deepEqual(await ls(s, id, '-r'), kept, "'build/' matches directories only, at any depth");
  const out = await restore(s, id, 'restored');
  assert.deepEqual(paths(await snapshotTree(out)), kept.map((p) => p.replace(/\/$/, '')));
});

test('a tree restore ends by making its files durable, and fails loudly when it cannot', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'letter.txt'), 'to be kept\n');
  await cairnOk(['bank', 'init', bank]);
  const { id } = (await cairnOk(['backup', 'files', src, '--bank', bank, '--name', 'small', '--json'])).json<BackupJson>();
  await cairnOk(['restore', id, '--bank', bank, '--to', join(dir, 'ok')]);
  assert.equal(await readFile(join(dir, 'ok', 'letter.txt'), 'utf8'), 'to be kept\n');
  // Without coreutils' sync on PATH the write-back cannot be asked for: no success may be reported.
  const r = await cairn(['restore', id, '--bank', bank, '--to', join(dir, 'unsynced')], { env: { PATH: join(dir, 'empty-path') } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot make the restored files under .*unsynced durable: the sync command \(coreutils\) is not on PATH/);
});
