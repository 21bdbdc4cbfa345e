// File-tree backup, file-system side: scan a real tree, encode and decode its entries, restore
// it with content copied from the source, and compare the two trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, readFile, symlink, utimes, writeFile, open } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { FileEntry } from '../../src/core/file-entry.ts';
import { decodeEntries, decodeEntry, encodeEntry } from '../../src/bank/entry-codec.ts';
import { createTreeWriter, selectEntries } from '../../src/mover/files/restore-tree.ts';
import type { RestoreWarning } from '../../src/mover/files/restore-tree.ts';
import { compareScanOrder, scanTree } from '../../src/mover/files/scan-tree.ts';
import type { ScanOptions, ScanWarning } from '../../src/mover/files/scan-tree.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const isRoot = process.getuid?.() === 0;
const hasAttrTools = spawnSync('getfattr', ['--version']).status === 0 && spawnSync('setfattr', ['--version']).status === 0;
const NEWLINE_NAME = Buffer.from('new\nline');
const BAD_UTF8_NAME = Buffer.from([0x66, 0xff, 0xfe]);
const MiB = 1024 * 1024;

const b = (s: string): Buffer => Buffer.from(s);
const at = (root: string, ...parts: Array<string | Buffer>): Buffer =>
  Buffer.concat([b(root), ...parts.flatMap((p) => [b('/'), typeof p === 'string' ? b(p) : p])]);
const show = (p: Buffer): string => JSON.stringify(p.toString('latin1'));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function scan(root: string, options: ScanOptions = {}): Promise<{ entries: FileEntry[]; warnings: ScanWarning[] }> {
  const warnings: ScanWarning[] = [];
  const entries = await collect(scanTree(root, { ...options, onWarning: (w) => warnings.push(w) }));
  return { entries, warnings };
}

/** Restores `entries` into `to`, taking each file's content from the same path under `from`. */
async function restore(entries: AsyncIterable<FileEntry> | Iterable<FileEntry>, from: string, to: string): Promise<RestoreWarning[]> {
  const warnings: RestoreWarning[] = [];
  const writer = await createTreeWriter(to, {
    content: (e) => createReadStream(at(from, e.path)),
    onWarning: (w) => warnings.push(w),
  });
  for await (const e of entries) await writer.add(e);
  await writer.finish();
  return warnings;
}

function setfattr(path: Buffer, name: string, value: Buffer): void {
  const r = spawnSync('setfattr', ['-n', name, '-v', `0s${value.toString('base64')}`, path.toString('utf8')]);
  assert.equal(r.status, 0, r.stderr.toString());
}

/** Sets a time with a sub-microsecond part far from a microsecond boundary. */
const T = (i: number): number => 1_600_000_000 + i * 1000 + 0.123_456_5;

/**
 * Builds the reference tree. Returns the paths in the order the scanner must yield them.
 * Times are set last, deepest first, so directory mtimes are the ones given here.
 */
async function buildTree(root: string): Promise<Buffer[]> {
  await mkdir(join(root, 'emptydir'));
  await mkdir(join(root, 'nested/deep/er'), { recursive: true });
  await mkdir(at(root, BAD_UTF8_NAME));
  await writeFile(join(root, 'empty'), '');
  await writeFile(join(root, 'hello.txt'), 'hello\n');
  await writeFile(join(root, 'nested/deep/er/file.txt'), 'deep file\n');
  await writeFile(at(root, NEWLINE_NAME), 'newline in name\n');
  await writeFile(at(root, BAD_UTF8_NAME, 'inner'), 'under a non-UTF-8 directory\n');
  const random = Buffer.alloc(200 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  await writeFile(join(root, 'random.bin'), random);
  // Sparse: 4 MiB + 10 bytes with data at 1 MiB and at the very end; a partial zero block at 128 KiB.
  const sparse = await open(join(root, 'sparse.bin'), 'w');
  await sparse.write(b('data at 1 MiB'), 0, 13, MiB);
  await sparse.write(b('x'.repeat(100)), 0, 100, 64 * 1024 + 5);
  await sparse.write(b('end'), 0, 3, 4 * MiB + 7);
  await sparse.close();
  await writeFile(join(root, 'hl-a'), 'linked content\n');
  await link(join(root, 'hl-a'), join(root, 'nested/hl-b'));
  await link(join(root, 'hl-a'), join(root, 'zz-hl-c'));
  await symlink('/etc/hostname', join(root, 'abs-link'));
  await symlink('nested/deep', join(root, 'rel-link'));
  await symlink('no/such/file', join(root, 'dangling'));
  assert.equal(spawnSync('mkfifo', [join(root, 'pipe')]).status, 0);
  await writeFile(join(root, 'suid'), '#!/bin/sh\n');
  await chmod(join(root, 'suid'), 0o4755);
  await writeFile(join(root, 'private'), 'secret\n');
  await chmod(join(root, 'private'), 0o600);
  await chmod(join(root, 'nested'), 0o750);
  await writeFile(join(root, 'xattr.txt'), 'has xattrs\n');
  if (hasAttrTools) {
    setfattr(at(root, 'xattr.txt'), 'user.alpha', b('alpha'));
    setfattr(at(root, 'xattr.txt'), 'user.binary', Buffer.from([0, 0xff, 0x0a, 0x3d]));
    setfattr(at(root, 'xattr.txt'), 'user.with=equals', b('x'));
    assert.equal(spawnSync('setfattr', ['-n', 'user.empty', join(root, 'xattr.txt')]).status, 0);
    setfattr(at(root, NEWLINE_NAME), 'user.odd', b('odd name'));
    setfattr(at(root, 'nested'), 'user.dir', b('on a directory'));
  }
  if (isRoot) {
    await chown(join(root, 'private'), 1234, 5678);
    await chown(join(root, 'nested'), 1000, 1001);
    await lchown(join(root, 'rel-link'), 4321, 8765);
    await chown(join(root, 'suid'), 0, 0);
    await chmod(join(root, 'suid'), 0o4755); // chown cleared setuid
    assert.equal(spawnSync('mknod', [join(root, 'nested/null-dev'), 'c', '1', '3']).status, 0);
  }

  // Sorted by raw bytes: 'empty' < 'emptydir', 'f\xff\xfe' < 'hello.txt', 'nested' < 'new\nline'.
  const order: Buffer[] = [b('abs-link'), b('dangling'), b('empty'), b('emptydir'), BAD_UTF8_NAME, Buffer.concat([BAD_UTF8_NAME, b('/inner')])];
  order.push(b('hello.txt'), b('hl-a'), b('nested'), b('nested/deep'), b('nested/deep/er'), b('nested/deep/er/file.txt'), b('nested/hl-b'));
  if (isRoot) order.push(b('nested/null-dev'));
  order.push(NEWLINE_NAME, b('pipe'), b('private'), b('random.bin'), b('rel-link'), b('sparse.bin'), b('suid'), b('xattr.txt'), b('zz-hl-c'));

  // Deepest and last first, so that setting a child's time does not change its directory's.
  for (let i = order.length - 1; i >= 0; i--) {
    const p = at(root, order[i]!);
    if ((await lstat(p)).isSymbolicLink()) await lutimes(p, T(i), T(i));
    else await utimes(p, T(i), T(i));
  }
  return order;
}

function byPath(entries: FileEntry[]): Map<string, FileEntry> {
  return new Map(entries.map((e) => [e.path.toString('latin1'), e]));
}

const micros = (ns: bigint): number => Number(ns / 1000n);

/** Compares what a restore must preserve: everything but dev, ino, ctime (and nlink). */
function assertSameEntries(actual: FileEntry[], expected: FileEntry[]): void {
  assert.deepEqual(actual.map((e) => show(e.path)), expected.map((e) => show(e.path)));
  for (const [i, want] of expected.entries()) {
    const got = actual[i]!;
    const label = `entry ${show(want.path)}`;
    assert.equal(got.type, want.type, label);
    assert.equal(got.mode.toString(8), want.mode.toString(8), label);
    assert.equal(got.uid, want.uid, label);
    assert.equal(got.gid, want.gid, label);
    assert.equal(got.size, want.size, label);
    assert.ok(Math.abs(micros(got.mtimeNs) - micros(want.mtimeNs)) <= 1, `${label}: mtime ${got.mtimeNs} vs ${want.mtimeNs}`);
    assert.deepEqual(got.target, want.target, label);
    assert.deepEqual(got.hardlinkTo, want.hardlinkTo, label);
    assert.equal(got.rdev, want.rdev, label);
    assert.deepEqual(got.xattrs, want.xattrs, label);
  }
}

test('scan yields entries depth-first, directories first, siblings in raw byte order', async (t) => {
  const src = await tempDir(t);
  const order = await buildTree(src);
  const { entries, warnings } = await scan(src);
  assert.deepEqual(warnings, []);
  assert.deepEqual(entries.map((e) => show(e.path)), order.map(show));
  const resorted = [...order].reverse().sort(compareScanOrder);
  assert.deepEqual(resorted.map(show), order.map(show));
  assert.ok(compareScanOrder(b('a/b'), b('a.txt')) < 0 && compareScanOrder(b('a'), b('a/b')) < 0 && compareScanOrder(b('a/b'), b('a/b')) === 0);

  const e = byPath(entries);
  const get = (p: string | Buffer): FileEntry => e.get((typeof p === 'string' ? b(p) : p).toString('latin1'))!;
  assert.equal(get('emptydir').type, 'dir');
  assert.equal(get('empty').size, 0);
  assert.equal(get('sparse.bin').size, 4 * MiB + 10);
  assert.deepEqual(get('abs-link').target, b('/etc/hostname'));
  assert.deepEqual(get('dangling').target, b('no/such/file'));
  assert.equal(get('pipe').type, 'fifo');
  assert.equal(get('suid').mode, 0o4755);
  assert.equal(get('private').mode, 0o600);
  assert.equal(get('nested').mode, 0o750);
  assert.equal(get('hl-a').hardlinkTo, undefined);
  assert.deepEqual(get('nested/hl-b').hardlinkTo, b('hl-a'));
  assert.deepEqual(get('zz-hl-c').hardlinkTo, b('hl-a'));
  for (const [i, p] of order.entries()) {
    // Hard links share one inode: the time set last, that of the first path, wins.
    const first = get(p).hardlinkTo;
    const time = first ? T(order.findIndex((q) => q.equals(first))) : T(i);
    assert.ok(Math.abs(micros(get(p).mtimeNs) - time * 1e6) <= 1, `mtime of ${show(p)}`);
  }
  if (isRoot) {
    assert.equal(get('private').uid, 1234);
    assert.equal(get('private').gid, 5678);
    assert.equal(get('rel-link').uid, 4321);
    assert.equal(get('nested/null-dev').type, 'chardev');
    assert.equal(get('nested/null-dev').rdev, (1 << 8) | 3);
  }
  if (hasAttrTools) {
    assert.deepEqual(get('xattr.txt').xattrs, [
      ['user.alpha', b('alpha')],
      ['user.binary', Buffer.from([0, 0xff, 0x0a, 0x3d])],
      ['user.empty', Buffer.alloc(0)],
      ['user.with=equals', b('x')],
    ]);
    assert.deepEqual(get(NEWLINE_NAME).xattrs, [['user.odd', b('odd name')]]);
    assert.deepEqual(get('nested').xattrs, [['user.dir', b('on a directory')]]);
  }
  assert.equal(get('hello.txt').xattrs, undefined);
});

test('entries survive encode and decode, split at any byte', async (t) => {
  const src = await tempDir(t);
  await buildTree(src);
  const { entries } = await scan(src);
  entries[0]!.content = [{ id: 'ab'.repeat(32), size: 7 }, { id: '00ff', size: 0 }];
  const encoded = Buffer.concat(entries.map(encodeEntry));
  assert.equal(encoded.toString('latin1').split('\n').length, entries.length + 1);
  for (const step of [1, 7, 4096, encoded.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < encoded.length; i += step) chunks.push(encoded.subarray(i, i + step));
    assert.deepEqual(await collect(decodeEntries(chunks)), entries, `chunks of ${step}`);
  }
});

test('the codec writes text when it can and base64 when it must', () => {
  const base: FileEntry = {
    path: b('a'), type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: -1_500_000_000n, ctimeNs: 2n ** 62n,
    size: 3, dev: 2049, ino: 2n ** 63n + 5n, nlink: 1,
  };
  const odd: Array<[Buffer, string]> = [
    [b('plain/ütf-8 ☃'), 'path'],
    [b('tab\there "quoted" \\ back'), 'path'],
    [NEWLINE_NAME, 'pathB64'],
    [BAD_UTF8_NAME, 'pathB64'],
    [Buffer.from([0xc3]), 'pathB64'], // truncated UTF-8 sequence
  ];
  for (const [path, key] of odd) {
    const e: FileEntry = { ...base, path, type: 'symlink', size: 0, target: path, xattrs: [['user.v', path]] };
    const line = encodeEntry(e);
    assert.equal(line.indexOf(0x0a), line.length - 1);
    const json = JSON.parse(line.toString()) as Record<string, unknown>;
    assert.ok(key in json, `${show(path)} → ${key}`);
    assert.deepEqual(decodeEntry(line), e);
  }
  const hard: FileEntry = { ...base, path: b('x/y'), hardlinkTo: BAD_UTF8_NAME, nlink: 3, content: [{ id: 'beef', size: 3 }] };
  assert.equal(
    encodeEntry(hard).toString(),
    '{"path":"x/y","type":"file","mode":420,"uid":0,"gid":0,"mtimeNs":"-1500000000","ctimeNs":"4611686018427387904",' +
      '"size":3,"dev":2049,"ino":"9223372036854775813","nlink":3,"hardlinkToB64":"Zv/+","content":[{"id":"beef","size":3}]}\n',
  );
  assert.deepEqual(decodeEntry(encodeEntry(hard)), hard);
  const dev: FileEntry = { ...base, type: 'chardev', size: 0, rdev: 259 };
  assert.deepEqual(decodeEntry(encodeEntry(dev)), dev);
});

test('the codec rejects records that could escape the target or are malformed', async () => {
  const good = JSON.parse(encodeEntry({
    path: b('a'), type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0, dev: 1, ino: 1n, nlink: 1,
  }).toString()) as Record<string, unknown>;
  const bad: Array<Record<string, unknown>> = [
    { ...good, path: '../etc/passwd' },
    { ...good, path: '/etc/passwd' },
    { ...good, path: 'a//b' },
    { ...good, path: 'a/./b' },
    { ...good, path: 'a/' },
    { ...good, path: '' },
    { ...good, path: undefined, pathB64: Buffer.from('a/../../b').toString('base64') },
    { ...good, pathB64: 'YQ==' },
    { ...good, hardlinkTo: '..' },
    { ...good, type: 'door' },
    { ...good, mode: 0o10000 },
    { ...good, mtimeNs: 1 },
    { ...good, ino: '01' },
    { ...good, type: 'symlink' },
    { ...good, content: [{ id: 'XYZ', size: 1 }] },
    { ...good, xattrs: [{ name: 'user.a' }] },
  ];
  for (const r of bad) {
    assert.throws(() => decodeEntry(JSON.stringify(r)), { name: 'CairnError', code: 'corrupt' }, JSON.stringify(r));
  }
  await assert.rejects(collect(decodeEntries([`${JSON.stringify(good)}\n{oops}\n`])), /record 2/);
});

test('restore recreates the tree: types, modes, owners, times, content, links, xattrs', async (t) => {
  const src = await tempDir(t);
  await buildTree(src);
  const sockets = createServer();
  await new Promise<void>((ok) => sockets.listen(join(src, 'sock'), ok));
  t.after(() => sockets.close());
  const { entries, warnings } = await scan(src);
  assert.deepEqual(warnings, []);
  const decoded = await collect(decodeEntries(entries.map(encodeEntry)));

  const out = join(await tempDir(t), 'restored');
  const restoreWarnings = await restore(decoded, src, out);
  assert.deepEqual(restoreWarnings.map((w) => [w.code, w.path.toString()]), [['skipped', 'sock']]);

  const again = await scan(out);
  assert.deepEqual(again.warnings, []);
  assertSameEntries(again.entries, entries.filter((e) => e.type !== 'socket'));

  for (const e of entries.filter((x) => x.type === 'file')) {
    assert.deepEqual(await readFile(at(out, e.path)), await readFile(at(src, e.path)), `content of ${show(e.path)}`);
  }
  const ino = async (p: string): Promise<number> => (await lstat(join(out, p))).ino;
  assert.equal(await ino('nested/hl-b'), await ino('hl-a'));
  assert.equal(await ino('zz-hl-c'), await ino('hl-a'));
  assert.equal((await lstat(join(out, 'hl-a'))).nlink, 3);
  const sparse = await lstat(join(out, 'sparse.bin'));
  assert.ok(sparse.blocks * 512 < 1 * MiB, `sparse.bin allocates ${sparse.blocks * 512} bytes`);
});

test('restore replaces what is in the way and never writes through symlinks', async (t) => {
  const src = await tempDir(t);
  await mkdir(join(src, 'd'));
  await writeFile(join(src, 'd/f'), 'new');
  await writeFile(join(src, 'g'), 'new g');
  const { entries } = await scan(src);

  const out = await tempDir(t);
  const outside = await tempDir(t);
  await symlink(outside, join(out, 'd')); // a symlink where a directory goes
  await mkdir(join(out, 'g')); // a directory where a file goes
  const warnings = await restore(entries, src, out);
  assert.deepEqual(warnings.map((w) => [w.code, w.path.toString()]), [['skipped', 'g']]);
  assert.ok((await lstat(join(out, 'd'))).isDirectory());
  assert.equal(await readFile(join(out, 'd/f'), 'utf8'), 'new');
  assert.deepEqual(await collect(scanTree(outside, {})), []);

  const evil: FileEntry[] = [
    { ...entries[0]!, path: b('link'), type: 'symlink', target: b(outside) },
    { ...entries[1]!, path: b('link/escaped') },
  ];
  const evilWarnings = await restore(evil, src, out);
  assert.deepEqual(evilWarnings.map((w) => [w.code, w.path.toString()]), [['skipped', 'link/escaped']]);
  assert.deepEqual(await collect(scanTree(outside, {})), []);
});

test('excludes match relative paths and basenames; a trailing slash means directories only', async (t) => {
  const src = await tempDir(t);
  for (const d of ['cache', 'x/cache', 'x/node_modules/pkg', 'node_modules', 'keep/top', 'src/gen']) await mkdir(join(src, d), { recursive: true });
  for (const f of ['a.tmp', 'x/b.tmp', 'cache/in-cache', 'keep/cache', 'x/node_modules/pkg/i.js', 'top', 'keep/top/t', 'src/gen/g.ts', 'src/main.ts', '.hidden.tmp']) {
    await writeFile(join(src, f), f);
  }
  const { entries } = await scan(src, { exclude: ['*.tmp', 'cache/', '**/node_modules', '/top', 'src/gen'] });
  assert.deepEqual(entries.map((e) => e.path.toString()), ['keep', 'keep/cache', 'keep/top', 'keep/top/t', 'src', 'src/main.ts', 'x']);
});

test('include selection keeps parent directories and turns unselected hard-link firsts into copies', async (t) => {
  const src = await tempDir(t);
  await buildTree(src);
  const { entries } = await scan(src);

  const unmatched: string[] = [];
  const picked = await collect(selectEntries(entries, ['nested/deep/er/file.txt', '/zz-hl-c', 'no/such'], {
    onUnmatched: (paths) => unmatched.push(...paths.map((p) => p.toString())),
  }));
  assert.deepEqual(picked.map((e) => e.path.toString()), ['nested', 'nested/deep', 'nested/deep/er', 'nested/deep/er/file.txt', 'zz-hl-c']);
  assert.deepEqual(unmatched, ['no/such']);
  assert.equal(picked.at(-1)!.hardlinkTo, undefined);

  const group = await collect(selectEntries(entries, ['nested/', 'zz-hl-c']));
  const byName = byPath(group);
  assert.equal(byName.get('nested/hl-b')!.hardlinkTo, undefined);
  assert.deepEqual(byName.get('zz-hl-c')!.hardlinkTo, b('nested/hl-b'));
  assert.equal(group.length, entries.filter((e) => e.path.toString().startsWith('nested')).length + 1);

  const out = await tempDir(t);
  assert.deepEqual(await restore(group, src, out), []);
  assert.equal((await lstat(join(out, 'zz-hl-c'))).ino, (await lstat(join(out, 'nested/hl-b'))).ino);
  assert.equal(await readFile(join(out, 'zz-hl-c'), 'utf8'), 'linked content\n');
  assert.equal((await lstat(join(out, 'nested'))).mode & 0o7777, 0o750);

  // Without selectEntries, a missing first path still restores (as a copy, with a warning).
  const out2 = await tempDir(t);
  const lone = entries.filter((e) => e.path.equals(b('zz-hl-c')));
  const warnings = await restore(lone, src, out2);
  assert.deepEqual(warnings.map((w) => w.code), ['hardlink-copied']);
  assert.equal(await readFile(join(out2, 'zz-hl-c'), 'utf8'), 'linked content\n');

  assert.deepEqual((await collect(selectEntries(entries, ['.']))).length, entries.length);
  await assert.rejects(collect(selectEntries(entries, ['../x'])), { code: 'bad-input' });
});

test('a missing getfattr costs the xattrs, not the scan', async (t) => {
  const src = await tempDir(t);
  await writeFile(join(src, 'f'), 'x');
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const { entries, warnings } = await scan(src);
    assert.deepEqual(entries.map((e) => [e.path.toString(), e.xattrs]), [['f', undefined]]);
    assert.deepEqual(warnings.map((w) => w.code), ['xattrs-unavailable']);
  } finally {
    process.env.PATH = path;
  }
});

test('xattrs land on the right entries across getfattr batches', async (t) => {
  assert.ok(hasAttrTools, 'getfattr/setfattr are missing: install the attr package (scripts/setup.sh does)');
  const src = await tempDir(t);
  // Batches hold 4,000 entries: the tags sit on both sides of two batch boundaries.
  const names = Array.from({ length: 8100 }, (_, i) => `f${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 500) await Promise.all(names.slice(i, i + 500).map((n) => writeFile(join(src, n), '')));
  const tagged = ['f0000', 'f3999', 'f4000', 'f6000', 'f7999', 'f8000', 'f8099'];
  assert.equal(spawnSync('setfattr', ['-n', 'user.tag', '-v', 'yes', ...tagged.map((n) => join(src, n))]).status, 0);
  const { entries, warnings } = await scan(src);
  assert.deepEqual(warnings, []);
  assert.deepEqual(entries.map((e) => e.path.toString()), names);
  assert.deepEqual(entries.filter((e) => e.xattrs).map((e) => e.path.toString()), tagged);
});

test('oneFileSystem records a mount point but does not enter it', async (t) => {
  const src = await tempDir(t);
  await mkdir(join(src, 'mnt'));
  await writeFile(join(src, 'z'), 'z');
  if (!isRoot || spawnSync('mount', ['-t', 'tmpfs', 'cairn-test', join(src, 'mnt')]).status !== 0) {
    t.skip('cannot mount a tmpfs here');
    return;
  }
  try {
    await writeFile(join(src, 'mnt/inside'), 'other file system');
    const paths = async (oneFileSystem: boolean): Promise<string[]> =>
      (await scan(src, { oneFileSystem })).entries.map((e) => e.path.toString());
    assert.deepEqual(await paths(true), ['mnt', 'z']);
    assert.deepEqual(await paths(false), ['mnt', 'mnt/inside', 'z']);
  } finally {
    spawnSync('umount', [join(src, 'mnt')]);
  }
});

test('hard-linked fifos and symlinks are restored as links too', async (t) => {
  const src = await tempDir(t);
  assert.equal(spawnSync('mkfifo', [join(src, 'p1')]).status, 0);
  await link(join(src, 'p1'), join(src, 'p2'));
  await symlink('somewhere', join(src, 's1'));
  await link(join(src, 's1'), join(src, 's2'));
  const { entries } = await scan(src);
  assert.deepEqual(entries.map((e) => [e.path.toString(), e.hardlinkTo?.toString()]), [['p1', undefined], ['p2', 'p1'], ['s1', undefined], ['s2', 's1']]);
  const out = await tempDir(t);
  assert.deepEqual(await restore(entries, src, out), []);
  assert.equal((await lstat(join(out, 'p2'))).ino, (await lstat(join(out, 'p1'))).ino);
  assert.equal((await lstat(join(out, 's2'))).ino, (await lstat(join(out, 's1'))).ino);
  assert.ok((await lstat(join(out, 'p2'))).isFIFO());
});

test('times at the edges of a microsecond come back in the same microsecond', async (t) => {
  const src = await tempDir(t);
  // Nanosecond times that a double rounds into the next or previous microsecond.
  const times = ['1795295963.528856999', '1795295963.528857000', '1795295963.528857001', '1999999999.999999999'];
  for (const [i, time] of times.entries()) {
    await writeFile(join(src, `f${i}`), `${i}`);
    assert.equal(spawnSync('touch', ['-m', '-d', `@${time}`, join(src, `f${i}`)]).status, 0);
  }
  const { entries } = await scan(src);
  const out = await tempDir(t);
  await restore(entries, src, out);
  for (const [i, time] of times.entries()) {
    const restored = (await lstat(join(out, `f${i}`), { bigint: true })).mtimeNs;
    assert.equal(restored / 1000n, BigInt(time.replace('.', '')) / 1000n, `f${i} had mtime ${time}`);
  }
});

test('xattrs of paths with quotes, newlines and non-UTF-8 bytes are found', async (t) => {
  assert.ok(hasAttrTools, 'getfattr/setfattr are missing: install the attr package (scripts/setup.sh does)');
  const src = await tempDir(t);
  const odd = [b("it's \"odd\" $HOME `x` \\ *"), NEWLINE_NAME, BAD_UTF8_NAME, b('-n')];
  // setfattr --restore reads octal-escaped paths: the only way to name bytes that are not UTF-8.
  const octal = (p: Buffer): string => [...p].map((c) => (c > 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`)).join('');
  let dump = '';
  for (const name of odd) {
    await writeFile(at(src, name), 'x');
    dump += `# file: ${octal(at(src, name))}\nuser.name=0s${name.toString('base64')}\n\n`;
  }
  const dumpFile = join(await tempDir(t), 'dump');
  await writeFile(dumpFile, dump);
  const r = spawnSync('setfattr', ['-h', `--restore=${dumpFile}`]);
  assert.equal(r.status, 0, r.stderr.toString());
  const { entries, warnings } = await scan(src);
  assert.deepEqual(warnings, []);
  assert.equal(entries.length, odd.length);
  for (const e of entries) assert.deepEqual(e.xattrs, [['user.name', e.path]], `xattrs of ${show(e.path)}`);
});

test('a file skipped for a directory in its way never asks for its content', async (t) => {
  const out = await tempDir(t);
  await mkdir(join(out, 'f'));
  let asked = 0;
  const warnings: RestoreWarning[] = [];
  const writer = await createTreeWriter(out, {
    content: () => { asked++; return Promise.reject(new Error('a damaged chunk')); },
    onWarning: (w) => warnings.push(w),
  });
  const entry: FileEntry = { path: b('f'), type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, size: 3, dev: 1, ino: 1n, nlink: 1, content: [] };
  await writer.add(entry);
  await writer.finish();
  assert.equal(asked, 0, 'content was fetched for a file that was not written (and its failure went unhandled)');
  assert.deepEqual(warnings.map((w) => w.code), ['skipped']);
});

test('xattrs are read whatever the temporary directory is called', async (t) => {
  assert.ok(hasAttrTools, 'getfattr/setfattr are missing: install the attr package (scripts/setup.sh does)');
  const src = await tempDir(t);
  await writeFile(join(src, 'f'), 'x');
  setfattr(at(src, 'f'), 'user.k', b('v'));
  const odd = join(await tempDir(t), "it's $(touch pwned) `x`");
  await mkdir(odd);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = odd;
  try {
    const { entries, warnings } = await scan(src);
    assert.deepEqual(warnings, []);
    assert.deepEqual(entries[0]!.xattrs, [['user.k', b('v')]]);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
  }
});
