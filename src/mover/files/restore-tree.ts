/**
 * Recreates a file tree from FileEntry records, and selects the records to restore.
 *
 * Model: entries arrive in scan order (a directory before its children); the writer keeps the
 * chain of open directories. An entry is written only when its parent is that chain's
 * directory created (or found) by this writer, and paths are checked with isSafePath, so a
 * crafted archive cannot write outside the target through '..' or through a symlink it made.
 *
 * Metadata, in this order: owner (when root, or `owner: true`), then mode (chown clears setuid
 * bits, so mode comes after), then mtime (atime is set to mtime; utimes takes a double, so times
 * are restored to the microsecond). A directory gets its owner, mode and times when it is
 * closed, that is when the first entry outside it arrives or at finish(): deepest first, after
 * all its children were written. Extended attributes of all entries are applied once at
 * finish() with `setfattr -h --restore=<dump>`, so writes and chown cannot clear them
 * (security.capability).
 *
 * Regular files are written sparsely: 64 KiB blocks (aligned on file offsets) that are all zero
 * are skipped, and the file is truncated to its length at the end.
 *
 * Hard links: an entry with `hardlinkTo` (any type but a directory) is linked to the path
 * restored for that first entry. When that path was not restored (not selected, or it failed),
 * the entry is made on its own, a regular file from its own `content`, and later members of the
 * group link to it. This is why the backup side must keep the content refs on every hard-link
 * entry (cheap: the refs dedup, and they can be copied from the first entry without reading
 * the file again).
 *
 * Fifos and devices are made with the `mkfifo` and `mknod` commands (Node has no API) under a
 * temporary name, then renamed into place. Devices need root; sockets cannot be restored.
 * Both are skipped with a warning. What is already in the target is replaced, except a
 * directory standing where a non-directory must go.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, ftruncateSync, futimesSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, openSync, renameSync, symlinkSync, unlinkSync, utimesSync, writevSync,
} from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { FileEntry } from '../../core/file-entry.ts';
import { isSafePath } from '../../bank/entry-codec.ts';
import { BlockRuns, type WriteRun } from './block-runs.ts';

/**
 * The content of a regular-file entry, in order (for example the entry's chunks, fetched): as it
 * arrives, or all of it at once (small files, fetched ahead), which is written with synchronous calls.
 */
export type ContentSource = (entry: FileEntry) => AsyncIterable<Uint8Array> | Promise<readonly Uint8Array[]>;

export interface TreeWriterOptions {
  /** Called for each regular file that must be written (not for hard links that are linked). */
  content: ContentSource;
  /** Restore uid and gid (default: when running as root). */
  owner?: boolean;
  /** Restore extended attributes (default true). */
  xattrs?: boolean;
  /** Skip writing all-zero 64 KiB blocks (default true). */
  sparse?: boolean;
  onWarning?: (warning: RestoreWarning) => void;
}

export interface RestoreWarning {
  /**
   * skipped: the entry was not restored (socket, device without permission, unsafe path,
   *   parent not restored, a directory in the way);
   * hardlink-copied: the first path of the hard link was not restored; written as a copy;
   * size: the content had another length than the entry's size (the content wins);
   * metadata: owner, mode or times could not be applied;
   * xattrs: setfattr reported errors; xattrs-unavailable: setfattr could not be run.
   */
  code: 'skipped' | 'hardlink-copied' | 'size' | 'metadata' | 'xattrs' | 'xattrs-unavailable';
  /** Entry path, or empty for warnings about the whole restore. */
  path: Buffer;
  message: string;
}

export interface RestoreSummary {
  /** Entries restored (hard links and copies included). */
  entries: number;
  /** Content bytes received for regular files. */
  bytes: number;
  /** Entries not restored. */
  skipped: number;
}

const SLASH = Buffer.from('/');
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `targetDir` if needed and returns a writer for it; call finish() at the end. */
export async function createTreeWriter(targetDir: string, options: TreeWriterOptions): Promise<TreeWriter> {
  const target = resolve(targetDir);
  await mkdir(target, { recursive: true });
  const tmp = await mkdtemp(join(target, '.cairn-restore-'));
  return new TreeWriter(target, tmp, options);
}

interface OpenDir {
  path: Buffer;
  entry: FileEntry;
}

export class TreeWriter {
  readonly #target: Buffer;
  readonly #tmp: string;
  readonly #content: ContentSource;
  readonly #owner: boolean;
  readonly #xattrs: boolean;
  readonly #sparse: boolean;
  readonly #warn: (warning: RestoreWarning) => void;
  /** The chain of directories the next entries may go into, outermost first. */
  readonly #open: OpenDir[] = [];
  /** First path of a hard-link group (latin1 key) → path restored for it; nlink > 1 only. */
  readonly #links = new Map<string, Buffer>();
  #dump: Buffer[] = [];
  #dumpBytes = 0;
  #dumpFile: FileHandle | undefined;
  #tmpSeq = 0;
  #finished = false;
  readonly #summary: RestoreSummary = { entries: 0, bytes: 0, skipped: 0 };

  /** Use createTreeWriter(). */
  constructor(target: string, tmp: string, options: TreeWriterOptions) {
    this.#target = Buffer.from(target);
    this.#tmp = tmp;
    this.#content = options.content;
    this.#owner = options.owner ?? process.getuid?.() === 0;
    this.#xattrs = options.xattrs ?? true;
    this.#sparse = options.sparse ?? true;
    this.#warn = options.onWarning ?? (() => {});
  }

  /**
   * Restores one entry. Entries must come in scan order; an entry whose parent directory was
   * not restored before it is skipped with a warning. Errors other than the warned ones
   * (content source failures, I/O errors) are thrown.
   */
  async add(entry: FileEntry): Promise<void> {
    if (this.#finished) throw new CairnError('bad-input', 'add() after finish()');
    if (!isSafePath(entry.path)) return this.#skip(entry, 'unsafe path');
    const slash = entry.path.lastIndexOf(0x2f);
    const parent = entry.path.subarray(0, Math.max(slash, 0));
    if (parent.length > 0 && !this.#open.some((d) => d.path.equals(parent))) {
      return this.#skip(entry, 'its parent directory was not restored');
    }
    while (this.#open.length > 0 && !this.#open.at(-1)!.path.equals(parent)) this.#closeDir(this.#open.pop()!);
    const abs = Buffer.concat([this.#target, SLASH, entry.path]);
    const restored = await this.#restore(entry, abs);
    if (!restored) return;
    this.#summary.entries++;
    if (entry.xattrs && entry.xattrs.length > 0 && this.#xattrs && restored !== 'linked') await this.#addXattrs(abs, entry.xattrs);
  }

  /** Closes all directories (applying their metadata), applies xattrs, removes the temp dir. */
  async finish(): Promise<RestoreSummary> {
    if (this.#finished) return this.#summary;
    this.#finished = true;
    while (this.#open.length > 0) this.#closeDir(this.#open.pop()!);
    try {
      if (this.#dumpFile || this.#dump.length > 0) await this.#applyXattrs();
    } finally {
      await this.#dumpFile?.close();
      await rm(this.#tmp, { recursive: true, force: true });
    }
    return this.#summary;
  }

  async #restore(entry: FileEntry, abs: Buffer): Promise<'made' | 'linked' | undefined> {
    if (entry.hardlinkTo && entry.type !== 'dir') {
      const linked = this.#link(entry, abs);
      if (linked !== 'copy') return linked;
    }
    const made = await this.#make(entry, abs);
    if (made && entry.type !== 'dir' && entry.nlink > 1) this.#links.set((entry.hardlinkTo ?? entry.path).toString('latin1'), abs);
    return made ? 'made' : undefined;
  }

  /** Links a later path of an inode to the restored first one; 'copy' when it must be made anew. */
  #link(entry: FileEntry, abs: Buffer): 'linked' | 'copy' | undefined {
    const first = this.#links.get(entry.hardlinkTo!.toString('latin1'));
    if (!first) {
      this.#warn({ code: 'hardlink-copied', path: entry.path, message: `${entry.hardlinkTo!.toString()} was not restored; made as a copy` });
      return 'copy';
    }
    try {
      return this.#replacing(entry, abs, () => { linkSync(first, abs); return true; }) ? 'linked' : undefined;
    } catch (err) {
      this.#warn({ code: 'hardlink-copied', path: entry.path, message: `cannot link to ${first.toString()} (${errnoOf(err)}); made as a copy` });
      return 'copy';
    }
  }

  /** Creates the node for `entry` with its metadata; false when it was skipped. */
  async #make(entry: FileEntry, abs: Buffer): Promise<boolean> {
    switch (entry.type) {
      case 'dir':
        this.#makeDir(abs);
        this.#open.push({ path: entry.path, entry });
        return true;
      case 'file':
        return this.#writeFile(entry, abs);
      case 'symlink':
        if (!this.#replacing(entry, abs, () => { symlinkSync(entry.target ?? Buffer.alloc(0), abs); return true; })) return false;
        this.#applyMetadata(entry, abs, { chmod: false });
        return true;
      case 'fifo':
        return this.#makeNode(entry, abs, 'mkfifo', ['-m', '600']);
      case 'chardev':
      case 'blockdev': {
        const [major, minor] = splitRdev(entry.rdev ?? 0);
        const kind = entry.type === 'chardev' ? 'c' : 'b';
        return this.#makeNode(entry, abs, 'mknod', ['-m', '600'], [kind, String(major), String(minor)]);
      }
      case 'socket':
        this.#skip(entry, 'sockets cannot be restored');
        return false;
    }
  }

  /**
   * Writes a regular file. Every call is synchronous: each takes microseconds (the page cache takes
   * the data), while an asynchronous one is a thread-pool round trip, and a tree has tens of
   * thousands of small files. Only waiting for content that is still being fetched is asynchronous.
   */
  async #writeFile(entry: FileEntry, abs: Buffer): Promise<boolean> {
    const fd = this.#replacing(entry, abs, () => openSync(abs, NEW_FILE, 0o600));
    if (fd === undefined) return false;
    // Asked for only now: content that is never waited for (a skipped file) must not be asked for.
    const content = this.#content(entry);
    try {
      const blocks = new BlockRuns(this.#sparse);
      if (content instanceof Promise) {
        for (const chunk of await content) for (const run of blocks.push(chunk)) writeRunSync(fd, run);
      } else {
        for await (const chunk of content) for (const run of blocks.push(chunk)) writeRunSync(fd, run);
      }
      const end = blocks.end();
      for (const run of end.runs) writeRunSync(fd, run);
      if (end.endsInHole) ftruncateSync(fd, end.length);
      this.#finishFile(entry, fd, end.length);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** Owner, mode and times on the open file. */
  #finishFile(entry: FileEntry, fd: number, length: number): void {
    this.#summary.bytes += length;
    if (length !== entry.size) this.#warn({ code: 'size', path: entry.path, message: `content has ${length} bytes, the entry says ${entry.size}` });
    this.#tryMetadata(entry, () => {
      if (this.#owner) fchownSync(fd, entry.uid, entry.gid);
      fchmodSync(fd, entry.mode);
      const t = seconds(entry.mtimeNs);
      futimesSync(fd, t, t);
    });
  }

  /** Makes the directory, or keeps one that exists; anything else in the way is replaced. */
  #makeDir(abs: Buffer): void {
    try {
      mkdirSync(abs, 0o700);
      return;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    if (lstatSync(abs).isDirectory()) return;
    unlinkSync(abs);
    mkdirSync(abs, 0o700);
  }

  /**
   * Runs `make` (which creates `abs` exclusively and returns a value); when something is in the
   * way, removes it and tries once more. A directory in the way is kept and the entry skipped
   * (undefined).
   */
  #replacing<T>(entry: FileEntry, abs: Buffer, make: () => T): T | undefined {
    try {
      return make();
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    if (lstatSync(abs).isDirectory()) {
      this.#skip(entry, 'a directory is in the way');
      return undefined;
    }
    unlinkSync(abs);
    return make();
  }

  /** Makes a fifo or device with `command` under a temporary name and renames it into place. */
  async #makeNode(entry: FileEntry, abs: Buffer, command: string, options: string[], operands: string[] = []): Promise<boolean> {
    const tmp = join(this.#tmp, `node-${this.#tmpSeq++}`);
    const run = await runCommand(command, [...options, '--', tmp, ...operands]);
    if (run.code !== 0) {
      this.#skip(entry, `${command} failed: ${run.stderr.trim() || `exit ${run.code}`}`);
      return false;
    }
    try {
      renameSync(tmp, abs);
    } catch (err) {
      unlinkSync(tmp);
      if (errnoOf(err) === 'EISDIR' || errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST') {
        this.#skip(entry, 'a directory is in the way');
        return false;
      }
      throw err;
    }
    this.#applyMetadata(entry, abs, { chmod: true });
    return true;
  }

  #closeDir(dir: OpenDir): void {
    this.#applyMetadata(dir.entry, Buffer.concat([this.#target, SLASH, dir.path]), { chmod: true });
  }

  /** Owner, mode and times by path, never following a final symlink (there is no lchmod). */
  #applyMetadata(entry: FileEntry, abs: Buffer, how: { chmod: boolean }): void {
    this.#tryMetadata(entry, () => {
      if (this.#owner) lchownSync(abs, entry.uid, entry.gid);
      if (how.chmod) chmodSync(abs, entry.mode);
      const t = seconds(entry.mtimeNs);
      if (entry.type === 'dir') utimesSync(abs, t, t);
      else lutimesSync(abs, t, t);
    });
  }

  #tryMetadata(entry: FileEntry, apply: () => void): void {
    try {
      apply();
    } catch (err) {
      const code = errnoOf(err);
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw err;
      this.#warn({ code: 'metadata', path: entry.path, message: `cannot apply owner, mode or times (${code})` });
    }
  }

  #skip(entry: FileEntry, why: string): void {
    this.#summary.skipped++;
    this.#warn({ code: 'skipped', path: entry.path, message: `not restored: ${why}` });
  }

  async #addXattrs(abs: Buffer, xattrs: ReadonlyArray<[string, Buffer]>): Promise<void> {
    const lines = [Buffer.from('# file: '), escapeOctal(abs), Buffer.from('\n')];
    for (const [name, value] of xattrs) {
      lines.push(escapeOctal(Buffer.from(name)));
      // setfattr ignores "name=0s" with nothing after it; a bare name sets an empty value.
      lines.push(Buffer.from(value.length > 0 ? `=0s${value.toString('base64')}\n` : '\n'));
    }
    lines.push(Buffer.from('\n'));
    for (const l of lines) {
      this.#dump.push(l);
      this.#dumpBytes += l.length;
    }
    if (this.#dumpBytes >= 1024 * 1024) await this.#flushDump();
  }

  async #flushDump(): Promise<void> {
    this.#dumpFile ??= await open(join(this.#tmp, 'xattrs'), 'wx', 0o600);
    await this.#dumpFile.writev(this.#dump);
    this.#dump = [];
    this.#dumpBytes = 0;
  }

  async #applyXattrs(): Promise<void> {
    await this.#flushDump();
    await this.#dumpFile?.close();
    this.#dumpFile = undefined;
    const run = await runCommand('setfattr', ['-h', `--restore=${join(this.#tmp, 'xattrs')}`]);
    if (run.code === undefined || run.code === 126 || run.code === 127) {
      this.#warn({ code: 'xattrs-unavailable', path: Buffer.alloc(0), message: `setfattr could not be run; extended attributes were not restored (${run.stderr.trim() || 'install the attr package'})` });
    } else if (run.code !== 0) {
      this.#warn({ code: 'xattrs', path: Buffer.alloc(0), message: `setfattr: ${run.stderr.trim().slice(0, 2000) || `exit ${run.code}`}` });
    }
  }
}

/** Writes a run whole: writev may write less than asked (a signal, a full disk) and is then continued. */
function writeRunSync(fd: number, run: WriteRun): void {
  let buffers = run.buffers, offset = run.offset;
  for (;;) {
    const n = writevSync(fd, buffers, offset);
    offset += n;
    let k = 0, skip = n;
    while (k < buffers.length && skip >= buffers[k]!.length) skip -= buffers[k++]!.length;
    if (k === buffers.length) return;
    buffers = [buffers[k]!.subarray(skip), ...buffers.slice(k + 1)];
  }
}

/**
 * Keeps the entries at or under the `includes` paths, plus the directories above them (so a
 * single file is restored with its directory chain). Includes are entry paths; a leading or
 * trailing '/' is ignored, and '' or '.' selects everything. Input must be in scan order.
 *
 * Hard links: the first selected member of a group becomes its first path (its `hardlinkTo` is
 * dropped, so it is restored from its own content); later selected members link to it.
 * `onUnmatched` is called at the end with the includes that named no entry.
 */
export async function* selectEntries(
  entries: AsyncIterable<FileEntry> | Iterable<FileEntry>,
  includes: ReadonlyArray<string | Buffer>,
  options: { onUnmatched?: (includes: Buffer[]) => void } = {},
): AsyncGenerator<FileEntry> {
  const wanted = includes.map(normalizeInclude);
  const all = wanted.some((w) => w.length === 0);
  const matched = new Set<number>();
  const firsts = new Map<string, Buffer>(); // original first path → first selected path
  for await (const entry of entries) {
    if (!all && !isSelected(entry, wanted, matched)) continue;
    if (entry.hardlinkTo) {
      const key = entry.hardlinkTo.toString('latin1');
      const first = firsts.get(key);
      if (first) {
        yield first.equals(entry.hardlinkTo) ? entry : { ...entry, hardlinkTo: first };
      } else {
        firsts.set(key, entry.path);
        const { hardlinkTo: _dropped, ...copy } = entry;
        yield copy;
      }
      continue;
    }
    if (entry.type !== 'dir' && entry.nlink > 1) firsts.set(entry.path.toString('latin1'), entry.path);
    yield entry;
  }
  const unmatched = all ? [] : wanted.filter((_, i) => !matched.has(i));
  if (unmatched.length > 0) options.onUnmatched?.(unmatched);
}

function isSelected(entry: FileEntry, wanted: Buffer[], matched: Set<number>): boolean {
  let selected = false;
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    if (entry.path.equals(w)) {
      matched.add(i);
      selected = true;
    } else if (isUnder(entry.path, w) || (entry.type === 'dir' && isUnder(w, entry.path))) {
      selected = true;
    }
  }
  return selected;
}

/** True when `path` is strictly below `dir`. */
function isUnder(path: Buffer, dir: Buffer): boolean {
  return path.length > dir.length && path[dir.length] === 0x2f && path.subarray(0, dir.length).equals(dir);
}

function normalizeInclude(include: string | Buffer): Buffer {
  let p = typeof include === 'string' ? Buffer.from(include) : include;
  let start = 0;
  let end = p.length;
  while (start < end && p[start] === 0x2f) start++;
  while (end > start && p[end - 1] === 0x2f) end--;
  p = p.subarray(start, end);
  if (p.length === 0 || (p.length === 1 && p[0] === 0x2e)) return Buffer.alloc(0);
  if (p.subarray(0, 2).toString('latin1') === './') p = p.subarray(2);
  if (!isSafePath(p)) throw new CairnError('bad-input', `include '${p.toString()}' must be a path inside the backup, without '.' or '..'`);
  return p;
}

/** Escapes bytes for the attr tools' dump format: controls, space, '\\', '=' and DEL as "\ooo". */
function escapeOctal(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const c of bytes) {
    if (c <= 0x20 || c === 0x5c || c === 0x3d || c === 0x7f) out.push(0x5c, 0x30 + (c >> 6), 0x30 + ((c >> 3) & 7), 0x30 + (c & 7));
    else out.push(c);
  }
  return Buffer.from(out);
}

/** Splits a Linux dev_t into major and minor numbers (glibc's gnu_dev_major/minor). */
function splitRdev(rdev: number): [major: number, minor: number] {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

/**
 * Nanoseconds to the seconds that utimes takes. A double near 1.8e9 s resolves about 0.24 µs,
 * so the exact time would land in the neighbouring microsecond about one time in sixteen; the
 * middle of the source's microsecond always lands in that microsecond.
 */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + (Number((ns % 1_000_000_000n) / 1000n) + 0.5) / 1e6;
}

function runCommand(command: string, args: string[]): Promise<{ code: number | undefined; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => done({ code: undefined, stderr: e.message }));
    child.on('close', (code) => done({ code: code ?? undefined, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
