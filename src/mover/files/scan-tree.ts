/**
 * Walks a directory tree and yields one FileEntry per node, without opening any file.
 *
 * Order (stable, so that two scans of the same tree produce the same records): depth-first,
 * a directory before its children, the children of a directory sorted by the raw bytes of their
 * names (Buffer.compare). This is not a byte sort of whole paths: `a/b` comes right after `a`
 * and so before `a.txt`.
 *
 * Nothing is followed: symlinks are recorded as symlinks, and with `oneFileSystem` a mount point
 * is recorded as a directory but not entered.
 *
 * Excludes (`exclude` globs, picomatch syntax, `dot: true` so `*` also matches names that start
 * with a dot; non-UTF-8 bytes of a name are seen as U+FFFD, which `?` and `*` match):
 * - a pattern is matched against the path relative to the root, e.g. `src/a.tmp`;
 * - a pattern that does not start with '/' may match any trailing part of the path, as in rsync
 *   and restic: `*.tmp` matches `a.tmp` and `x/y/a.tmp`, `cache/x` matches `cache/x` and
 *   `y/cache/x`, `**\/node_modules` matches at any depth;
 * - a leading '/' anchors the pattern at the root: `/cache` matches `cache` only;
 * - a trailing '/' matches directories only: `cache/`;
 * - an excluded directory is not entered, so everything below it is excluded too.
 *
 * Hard links: the first path met of an inode with nlink > 1 (not a directory) is an ordinary
 * entry; later paths of the same (dev, ino) get `hardlinkTo` = that first path. Only inodes with
 * nlink > 1 are remembered.
 *
 * Extended attributes come from the `getfattr` command (Node has no xattr API), one run per batch
 * of entries (at most BATCH_ENTRIES), from one shell (getfattr-shell.ts; paths go through a file, so any bytes work).
 * When getfattr is missing, entries have no xattrs and one 'xattrs-unavailable' warning is given.
 *
 * Files that vanish during the scan are skipped, unreadable directories are recorded but not
 * entered; both are reported through `onWarning` and never end the scan.
 *
 * Memory: the sorted names of each directory on the current path, two batches of entries,
 * and the hard-link map.
 *
 * lstat and readdir are synchronous calls on this thread. Through the promise API each one is a round
 * trip through libuv's thread pool, two cross-thread wake-ups, and on this project's VMs a wake-up is
 * an interrupt round trip through the hypervisor (perf: the interrupt path dominated a scan's samples;
 * more pool threads did not help). Measured on the bench tree (37,000 entries), alternating runs of an
 * unchanged incremental: cold cache 2.1-2.9 s against 2.6-3.6 s (faster in 8 of 9 pairs), warm cache
 * 2.2-2.4 s against 2.6-2.8 s; the full backup no slower (4.7-5.9 s against 5.0-6.1 s). The walk gives
 * the event loop a turn every SLICE_MS, so the rest of a backup (workers, uploads, progress) waits at
 * most about that long, or one call on a slow file system.
 */
import { Buffer } from 'node:buffer';
import { lstatSync, readdirSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { resolve } from 'node:path';
import type { BigIntStats } from 'node:fs';
import picomatch from 'picomatch';
import { CairnError } from '../../core/errors.ts';
import { GetfattrShell } from './getfattr-shell.ts';
import type { FileEntry, FileType } from '../../core/file-entry.ts';

export interface ScanOptions {
  /** Globs of paths to leave out; see the module comment for the matching rules. */
  exclude?: string[];
  /** Do not enter directories on another file system than the root (default false). */
  oneFileSystem?: boolean;
  /** Read extended attributes (default true). */
  xattrs?: boolean;
  /** Called for problems that do not stop the scan. */
  onWarning?: (warning: ScanWarning) => void;
}

export interface ScanWarning {
  /**
   * vanished: the entry disappeared between readdir and lstat/readlink and was skipped;
   * unreadable: a directory could not be read (EACCES, EPERM); it is recorded, empty;
   * xattrs: getfattr reported errors for some paths of a batch;
   * xattrs-unavailable: getfattr could not be run; no entry has xattrs;
   * parent-unreadable: (backup, not the scan) the parent's catalog could not be read; files are read again.
   */
  code: 'vanished' | 'unreadable' | 'xattrs' | 'xattrs-unavailable' | 'parent-unreadable';
  /** Relative path, or empty for warnings about the whole scan. */
  path: Buffer;
  message: string;
}

// Each getfattr batch costs ~12 ms of process start-up here: 1,000-entry batches made xattrs half of
// a warm scan's time (18,500 entries: 1.28 s, 0.72 s without xattrs); 4,000 entries: 1.1 s.
const BATCH_ENTRIES = 4000;
const BATCH_PATH_BYTES = 1 << 20;
const STAT_WINDOW = 32;
/** The longest the walk keeps the thread before it lets the event loop run. */
const SLICE_MS = 10;
const SLASH = Buffer.from('/');

/**
 * Scans `root` (a directory) and yields its entries in scan order.
 * Throws CairnError 'not-found' or 'bad-input' when the root itself is missing or not a directory.
 */
export async function* scanTree(root: string, options: ScanOptions = {}): AsyncGenerator<FileEntry> {
  const rootAbs = Buffer.from(resolve(root));
  const rootStat = await lstat(rootAbs, { bigint: true }).catch((err: unknown) => {
    throw errnoOf(err) === 'ENOENT'
      ? new CairnError('not-found', `${root} does not exist`, { cause: err })
      : err;
  });
  if (!rootStat.isDirectory()) throw new CairnError('bad-input', `${root} is not a directory`);
  const warn = options.onWarning ?? (() => {});
  const walker: Walker = {
    rootAbs,
    rootDev: Number(rootStat.dev),
    excluded: compileExcludes(options.exclude ?? []),
    oneFileSystem: options.oneFileSystem ?? false,
    links: new Map(),
    warn,
  };
  const xattrs = options.xattrs === false ? undefined : new XattrReader(rootAbs, warn);

  // Entries go out in batches; getfattr runs for one batch while the walk fills the next.
  let pending: { batch: FileEntry[]; filled: Promise<void> } | undefined;
  let batch: FileEntry[] = [];
  let batchBytes = 0;
  try {
    for await (const entry of walk(walker)) {
      batch.push(entry);
      batchBytes += entry.path.length + rootAbs.length + 2;
      if (batch.length >= BATCH_ENTRIES || batchBytes >= BATCH_PATH_BYTES) {
        if (pending) {
          await pending.filled;
          yield* pending.batch;
        }
        const filled = xattrs?.fill(batch) ?? Promise.resolve();
        filled.catch(() => {}); // awaited below; this only keeps an abandoned scan from crashing
        pending = { batch, filled };
        batch = [];
        batchBytes = 0;
      }
    }
    if (pending) {
      await pending.filled;
      yield* pending.batch;
    }
    await xattrs?.fill(batch);
    yield* batch;
  } finally {
    xattrs?.close();
  }
}

interface Walker {
  rootAbs: Buffer;
  rootDev: number;
  excluded: (rel: Buffer, isDir: boolean) => boolean;
  oneFileSystem: boolean;
  /** `${dev}:${ino}` → first path, only for inodes with nlink > 1. */
  links: Map<string, Buffer>;
  warn: (warning: ScanWarning) => void;
}

/** A directory being walked: its sorted names, the next one to stat, and stat results not yet yielded. */
interface OpenDir {
  rel: Buffer;
  names: Buffer[];
  next: number;
  ready: (FileEntry | undefined)[];
  taken: number;
}

/**
 * Depth-first, with an explicit stack rather than recursive generators: each level of `yield*`
 * delegation costs every entry below it a promise round trip, which made deep trees slow to walk.
 */
async function* walk(w: Walker): AsyncGenerator<FileEntry> {
  const stack: OpenDir[] = [];
  const root = openDir(w, Buffer.alloc(0));
  if (root) stack.push(root);
  let slice = performance.now();
  while (stack.length > 0) {
    if (performance.now() - slice > SLICE_MS) {
      await nextTurn();
      slice = performance.now();
    }
    const dir = stack.at(-1)!;
    if (dir.taken === dir.ready.length) {
      if (dir.next >= dir.names.length) {
        stack.pop();
        continue;
      }
      // lstat a window of siblings at once (each call is a thread-pool round trip); everything
      // that depends on order (hard links, descending) stays sequential.
      const window = dir.names.slice(dir.next, dir.next + STAT_WINDOW).map((name) => (dir.rel.length === 0 ? name : Buffer.concat([dir.rel, SLASH, name])));
      dir.next += window.length;
      dir.ready = await Promise.all(window.map((rel) => entryOf(w, rel)));
      dir.taken = 0;
      continue;
    }
    const entry = dir.ready[dir.taken++];
    if (!entry) continue;
    noteHardlink(w, entry);
    yield entry;
    if (entry.type === 'dir' && !(w.oneFileSystem && entry.dev !== w.rootDev)) {
      const child = openDir(w, entry.path);
      if (child) stack.push(child);
    }
  }
}

/** Reads and sorts a directory's names; undefined (with a warning) when it vanished or cannot be read. */
function openDir(w: Walker, rel: Buffer): OpenDir | undefined {
  let names: Buffer[];
  try {
    names = readdirSync(absPath(w, rel), { encoding: 'buffer' });
  } catch (err) {
    const code = errnoOf(err);
    if (rel.length > 0 && code === 'ENOENT') {
      w.warn({ code: 'vanished', path: rel, message: 'directory vanished before it was read' });
    } else if (rel.length > 0 && (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR')) {
      w.warn({ code: 'unreadable', path: rel, message: `cannot read directory (${code}); recorded empty` });
    } else {
      throw err;
    }
    return undefined;
  }
  names.sort((a, b) => Buffer.compare(a, b));
  return { rel, names, next: 0, ready: [], taken: 0 };
}

/** First path of an inode: remembered (nlink > 1 only); later paths: get `hardlinkTo`. */
function noteHardlink(w: Walker, entry: FileEntry): void {
  if (entry.type === 'dir' || entry.nlink <= 1) return;
  const key = `${entry.dev}:${entry.ino}`;
  const first = w.links.get(key);
  if (first) entry.hardlinkTo = first;
  else w.links.set(key, entry.path);
}

/** The entry for `rel` (without `hardlinkTo`), or undefined when it is excluded or vanished. */
async function entryOf(w: Walker, rel: Buffer): Promise<FileEntry | undefined> {
  const abs = absPath(w, rel);
  let st: BigIntStats;
  try {
    st = lstatSync(abs, { bigint: true });
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
    w.warn({ code: 'vanished', path: rel, message: 'vanished during the scan; skipped' });
    return undefined;
  }
  const type = typeOf(st);
  if (w.excluded(rel, type === 'dir')) return undefined;
  const entry: FileEntry = {
    path: rel,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    size: type === 'file' ? Number(st.size) : 0,
    dev: Number(st.dev),
    ino: st.ino,
    nlink: Number(st.nlink),
  };
  if (type === 'symlink') {
    try {
      entry.target = await readlink(abs, { encoding: 'buffer' });
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      w.warn({ code: 'vanished', path: rel, message: 'vanished during the scan; skipped' });
      return undefined;
    }
  }
  if (type === 'chardev' || type === 'blockdev') entry.rdev = Number(st.rdev);
  return entry;
}

function typeOf(st: BigIntStats): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'socket';
}

function absPath(w: Walker, rel: Buffer): Buffer {
  return rel.length === 0 ? w.rootAbs : Buffer.concat([w.rootAbs, SLASH, rel]);
}

/**
 * Compares two entry paths in scan order: component by component in raw byte order, a
 * directory before everything below it. Same as a byte comparison in which '/' sorts below
 * every other byte (so `a/b` < `a.txt`).
 */
export function compareScanOrder(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return (x === 0x2f ? -1 : x) - (y === 0x2f ? -1 : y);
  }
  return a.length - b.length;
}

/** Compiles exclude globs into one predicate; see the module comment for the rules. */
export function compileExcludes(patterns: readonly string[]): (rel: Buffer, isDir: boolean) => boolean {
  const rules = patterns.map((raw) => {
    const dirOnly = raw.endsWith('/');
    const anchored = raw.startsWith('/');
    const glob = raw.replace(/^\/+/, '').replace(/\/+$/, '');
    if (glob === '') throw new CairnError('bad-input', `exclude pattern '${raw}' matches nothing; give a name or glob`);
    return { dirOnly, match: picomatch(anchored ? glob : `**/${glob}`, { dot: true }) };
  });
  if (rules.length === 0) return () => false;
  return (rel, isDir) => {
    const path = rel.toString('utf8');
    return rules.some((r) => (isDir || !r.dirOnly) && r.match(path));
  };
}

/** Reads xattrs for batches of entries with getfattr (from one shell), and parses its dump format. */
class XattrReader {
  readonly #rootAbs: Buffer;
  readonly #warn: (warning: ScanWarning) => void;
  #shell: GetfattrShell | undefined;
  #available = true;

  constructor(rootAbs: Buffer, warn: (warning: ScanWarning) => void) {
    this.#rootAbs = rootAbs;
    this.#warn = warn;
  }

  async fill(batch: FileEntry[]): Promise<void> {
    if (!this.#available || batch.length === 0) return;
    const byAbs = new Map<string, FileEntry>();
    const paths: Buffer[] = [];
    for (const e of batch) {
      const abs = Buffer.concat([this.#rootAbs, SLASH, e.path]);
      byAbs.set(abs.toString('latin1'), e);
      paths.push(abs);
    }
    this.#shell ??= new GetfattrShell();
    const run = await this.#shell.run(paths);
    if (run.code === undefined || run.code === 126) {
      this.#available = false;
      this.#warn({ code: 'xattrs-unavailable', path: Buffer.alloc(0), message: `getfattr could not be run; extended attributes are not recorded (${run.stderr.trim() || 'install the attr package'})` });
      return;
    }
    for (const [abs, attrs] of parseGetfattrDump(run.stdout)) {
      const entry = byAbs.get(abs.toString('latin1'));
      if (!entry) continue;
      const named: Array<[string, Buffer]> = [];
      for (const [name, value] of attrs) {
        if (isUtf8Name(name)) named.push([name.toString('utf8'), value]);
        else this.#warn({ code: 'xattrs', path: entry.path, message: 'an extended attribute name is not UTF-8; skipped' });
      }
      if (named.length > 0) entry.xattrs = named.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    }
    if (run.code !== 0 && run.stderr.trim() !== '') {
      this.#warn({ code: 'xattrs', path: Buffer.alloc(0), message: `getfattr: ${run.stderr.trim().slice(0, 2000)}` });
    }
  }

  close(): void {
    this.#shell?.close();
  }
}

function isUtf8Name(name: Buffer): boolean {
  return Buffer.from(name.toString('utf8')).equals(name);
}

/**
 * Parses `getfattr -d -e base64` output: blocks of "# file: <escaped path>" followed by
 * "<escaped name>=0s<base64>" lines (or a bare name for an empty value), separated by blank lines.
 * Escapes are a backslash and three octal digits. Yields raw path bytes and raw name bytes.
 */
function* parseGetfattrDump(dump: Buffer): Generator<[path: Buffer, attrs: Array<[Buffer, Buffer]>]> {
  let path: Buffer | undefined;
  let attrs: Array<[Buffer, Buffer]> = [];
  let start = 0;
  while (start < dump.length) {
    let end = dump.indexOf(0x0a, start);
    if (end < 0) end = dump.length;
    const line = dump.subarray(start, end);
    start = end + 1;
    if (line.subarray(0, 8).toString('latin1') === '# file: ') {
      if (path) yield [path, attrs];
      path = unescapeOctal(line.subarray(8));
      attrs = [];
    } else if (line.length > 0 && path) {
      const eq = line.indexOf(0x3d); // '='; a '=' inside a name is escaped
      const name = unescapeOctal(eq < 0 ? line : line.subarray(0, eq));
      attrs.push([name, eq < 0 ? Buffer.alloc(0) : decodeValue(line.subarray(eq + 1).toString('latin1'))]);
    }
  }
  if (path) yield [path, attrs];
}

function decodeValue(text: string): Buffer {
  if (text.startsWith('0s')) return Buffer.from(text.slice(2), 'base64');
  if (text.startsWith('0x')) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('"') && text.endsWith('"')) return unescapeOctal(Buffer.from(text.slice(1, -1), 'latin1'));
  return Buffer.from(text, 'latin1');
}

/** Undoes the attr tools' quoting: "\ooo" (three octal digits) is one byte; anything else is literal. */
function unescapeOctal(text: Buffer): Buffer {
  if (!text.includes(0x5c)) return text;
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === 0x5c && i + 3 < text.length && isOctal(text[i + 1]) && isOctal(text[i + 2]) && isOctal(text[i + 3])) {
      out[n++] = (((text[i + 1]! - 0x30) << 6) | ((text[i + 2]! - 0x30) << 3) | (text[i + 3]! - 0x30)) & 0xff;
      i += 3;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function isOctal(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x37;
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
