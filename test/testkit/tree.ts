// File trees for end-to-end tests: a reference tree with every kind of entry a backup must keep,
// and a snapshot of a tree (read with fs calls and getfattr, not with Cairn's scanner) to compare
// a restored tree with its source. Paths are Buffers throughout: names need not be UTF-8.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, open, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import assert from 'node:assert/strict';

export const isRoot = process.getuid?.() === 0;
export const hasAttrTools = spawnSync('getfattr', ['--version']).status === 0 && spawnSync('setfattr', ['--version']).status === 0;

export const MiB = 1024 * 1024;
export const NEWLINE_NAME = Buffer.from('new\nline');
export const BAD_UTF8_NAME = Buffer.from([0x66, 0xff, 0xfe]);
export const RANDOM_SIZE = 3 * MiB + 17;
export const SPARSE_SIZE = 8 * MiB + 3;

const b = (s: string): Buffer => Buffer.from(s);

/** `root/part/part…` as bytes; parts may be Buffers holding any bytes but '/' and NUL. */
export function at(root: string, ...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat([b(root), ...parts.flatMap((p) => [b('/'), typeof p === 'string' ? b(p) : p])]);
}

/** A path for messages: JSON of its latin1 reading, so any byte shows. */
export const show = (p: Buffer): string => JSON.stringify(p.toString('latin1'));

function setfattr(path: Buffer, name: string, value: Buffer): void {
  const args = value.length > 0 ? ['-n', name, '-v', `0s${value.toString('base64')}`] : ['-n', name];
  const r = spawnSync('setfattr', [...args, path.toString('utf8')]);
  assert.equal(r.status, 0, r.stderr.toString());
}

/**
 * Builds the reference tree in `root` (an existing, empty directory):
 * regular files (empty, small, RANDOM_SIZE bytes of random data, a sparse file of SPARSE_SIZE),
 * nested and empty directories, relative, absolute and dangling symlinks, a hard-link group of
 * three paths, a fifo, a name with a newline and a non-UTF-8 directory name, user.* xattrs,
 * modes 0o4755, 0o600 and 0o750, other owners (when root), and explicit mtimes on everything.
 */
export async function buildTree(root: string): Promise<void> {
  await mkdir(at(root, 'emptydir'));
  await mkdir(at(root, 'nested', 'deep', 'er'), { recursive: true });
  await mkdir(at(root, BAD_UTF8_NAME));
  await writeFile(at(root, 'empty'), '');
  await writeFile(at(root, 'hello.txt'), 'hello\n');
  await writeFile(at(root, 'nested', 'deep', 'er', 'file.txt'), 'deep file\n');
  await writeFile(at(root, NEWLINE_NAME), 'newline in name\n');
  await writeFile(at(root, BAD_UTF8_NAME, 'inner'), 'under a non-UTF-8 directory\n');
  await writeFile(at(root, 'random.bin'), randomBytes(RANDOM_SIZE));
  // Sparse: data near the start, at 5 MiB and at the very end; holes in between.
  const sparse = await open(at(root, 'sparse.bin'), 'w');
  await sparse.write(b('x'.repeat(100)), 0, 100, 64 * 1024 + 5);
  await sparse.write(randomBytes(70_000), 0, 70_000, 5 * MiB);
  await sparse.write(b('end'), 0, 3, SPARSE_SIZE - 3);
  await sparse.close();
  await writeFile(at(root, 'hl-a'), 'linked content\n');
  await link(at(root, 'hl-a'), at(root, 'nested', 'hl-b'));
  await link(at(root, 'hl-a'), at(root, 'zz-hl-c'));
  await symlink('/etc/hostname', at(root, 'abs-link'));
  await symlink('nested/deep', at(root, 'rel-link'));
  await symlink('no/such/file', at(root, 'dangling'));
  await symlink(Buffer.concat([b('../'), BAD_UTF8_NAME]), at(root, 'nested', 'odd-link'));
  assert.equal(spawnSync('mkfifo', [at(root, 'pipe').toString()]).status, 0, 'mkfifo failed');
  await writeFile(at(root, 'suid'), '#!/bin/sh\n');
  await writeFile(at(root, 'private'), 'secret\n');
  await writeFile(at(root, 'xattr.txt'), 'has xattrs\n');
  if (hasAttrTools) {
    setfattr(at(root, 'xattr.txt'), 'user.alpha', b('alpha'));
    setfattr(at(root, 'xattr.txt'), 'user.binary', Buffer.from([0, 0xff, 0x0a, 0x3d]));
    setfattr(at(root, 'xattr.txt'), 'user.empty', Buffer.alloc(0));
    setfattr(at(root, NEWLINE_NAME), 'user.odd', b('odd name'));
    setfattr(at(root, 'nested'), 'user.dir', b('on a directory'));
  }
  if (isRoot) {
    await chown(at(root, 'private'), 1234, 5678);
    await chown(at(root, 'nested'), 1000, 1001);
    await chown(at(root, 'suid'), 4242, 4343);
    await lchown(at(root, 'rel-link'), 4321, 8765);
    await chown(at(root, 'pipe'), 77, 88);
  }
  // Modes after chown, which clears setuid.
  await chmod(at(root, 'suid'), 0o4755);
  await chmod(at(root, 'private'), 0o600);
  await chmod(at(root, 'nested'), 0o750);
  await chmod(at(root, 'pipe'), 0o640);
  await setTimes(root);
}

/**
 * Gives every entry under `root` its own mtime and atime, children before their directory (so
 * setting a child's time does not change its directory's). Each time is in the middle of a
 * microsecond, so it survives a round trip through a double to the microsecond.
 */
export async function setTimes(root: string): Promise<void> {
  let i = 0;
  const walk = async (dir: Buffer): Promise<void> => {
    for (const name of sortedNames(await readdir(dir, { encoding: 'buffer' }))) {
      const p = Buffer.concat([dir, b('/'), name]);
      if ((await lstat(p)).isDirectory()) await walk(p);
      const t = 1_600_000_000 + 1000 * i++ + 0.123_456_5;
      await lutimes(p, t, t);
    }
  };
  await walk(b(root));
}

/** What a restore must reproduce of one entry; ctime, inode numbers and atime are left out. */
export interface NodeInfo {
  type: 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';
  mode: string;
  uid: number;
  gid: number;
  /** Whole microseconds since the epoch. */
  mtimeUs: string;
  size?: number;
  sha256?: string;
  /** Symlink target, latin1. */
  target?: string;
  /** Every path of this inode under the root, for non-directories with more than one link. */
  links?: string[];
  /** user.* extended attributes, [name, base64 value], by name. */
  xattrs?: Array<[string, string]>;
}

/** Every entry under `root` (not root itself), keyed by its relative path shown with show(), in a stable order. */
export async function snapshotTree(root: string): Promise<Array<[string, NodeInfo]>> {
  const out: Array<[string, NodeInfo]> = [];
  const byInode = new Map<bigint, string[]>();
  const xattrs = hasAttrTools ? readXattrs(root) : new Map<string, Array<[string, string]>>();
  const walk = async (rel: Buffer | undefined): Promise<void> => {
    const dir = rel ? at(root, rel) : b(root);
    for (const name of sortedNames(await readdir(dir, { encoding: 'buffer' }))) {
      const relPath = rel ? Buffer.concat([rel, b('/'), name]) : name;
      const abs = at(root, relPath);
      const st = await lstat(abs, { bigint: true });
      const info: NodeInfo = {
        type: typeOf(st), mode: (st.mode & 0o7777n).toString(8), uid: Number(st.uid), gid: Number(st.gid),
        mtimeUs: (st.mtimeNs / 1000n).toString(),
      };
      if (!st.isDirectory()) info.size = Number(st.size);
      if (st.isFile()) info.sha256 = createHash('sha256').update(await readFile(abs)).digest('hex');
      if (st.isSymbolicLink()) info.target = (await readlink(abs, { encoding: 'buffer' })).toString('latin1');
      if (!st.isDirectory() && st.nlink > 1n) {
        const group = byInode.get(st.ino) ?? [];
        group.push(show(relPath));
        byInode.set(st.ino, group);
        info.links = group; // filled in as the walk meets the other paths
      }
      const x = xattrs.get(relPath.toString('latin1'));
      if (x) info.xattrs = x;
      out.push([show(relPath), info]);
      if (st.isDirectory()) await walk(relPath);
    }
  };
  await walk(undefined);
  return out;
}

function typeOf(st: BigIntStats): NodeInfo['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return st.isCharacterDevice() ? 'chardev' : 'blockdev';
}

function sortedNames(names: Buffer[]): Buffer[] {
  return names.sort((x, y) => Buffer.compare(x, y));
}

/** user.* xattrs of every entry under root, by relative path (latin1), from one `getfattr -R` dump. */
function readXattrs(root: string): Map<string, Array<[string, string]>> {
  const r = spawnSync('getfattr', ['-R', '-P', '-h', '-d', '-m', '^user\\.', '-e', 'base64', '--absolute-names', root]);
  assert.equal(r.status, 0, `getfattr: ${r.stderr.toString()}`);
  const out = new Map<string, Array<[string, string]>>();
  const prefix = Buffer.concat([b(root), b('/')]);
  let current: Array<[string, string]> | undefined;
  for (const line of splitLines(r.stdout)) {
    if (line.subarray(0, 8).toString('latin1') === '# file: ') {
      const path = unescapeOctal(line.subarray(8));
      current = [];
      if (path.subarray(0, prefix.length).equals(prefix)) out.set(path.subarray(prefix.length).toString('latin1'), current);
    } else if (line.length > 0 && current) {
      const eq = line.indexOf(0x3d);
      const name = unescapeOctal(eq < 0 ? line : line.subarray(0, eq)).toString('latin1');
      const value = eq < 0 ? '' : line.subarray(eq + 1).toString('latin1');
      current.push([name, value.startsWith('0s') ? value.slice(2) : Buffer.from(value).toString('base64')]);
    }
  }
  for (const list of out.values()) list.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return out;
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/** Undoes the attr tools' "\ooo" escapes; other bytes are kept as they are. */
function unescapeOctal(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    const digits = bytes.subarray(i + 1, i + 4).toString('latin1');
    if (c === 0x5c && /^[0-7]{3}$/.test(digits)) {
      out.push(parseInt(digits, 8));
      i += 3;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}
