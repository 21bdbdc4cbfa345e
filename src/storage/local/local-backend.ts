/**
 * StorageBackend over a local directory: one file per key, '/' in keys maps to subdirectories.
 *
 * Model: a put writes '<dir>/.tmp-<uuid>', fsyncs it, renames it over the final name and fsyncs the
 * directory, so after put resolves the object survives a crash and a reader never sees a prefix.
 * Names starting with '.tmp-' are never keys: list skips them, and a crash can only leave such
 * files behind (never a partial object). Directories are created on demand and never removed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { ObjectInfo, StorageBackend } from '../../core/storage-backend.ts';

export class LocalBackend implements StorageBackend {
  readonly location: string;
  readonly #root: string;
  /** Directories known to exist with a durable entry in their parent, by absolute path. */
  readonly #dirs = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.#root = resolve(root);
    this.location = this.#root;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.#path(key);
    try {
      await this.#putOnce(path, data);
    } catch (err) {
      // A directory removed behind our back invalidates the cache; recreate it once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw localError(err, 'write', path);
      this.#dirs.clear();
      await this.#putOnce(path, data).catch((e: unknown) => { throw localError(e, 'write', path); });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.#path(key);
    try {
      const buf = await readFile(path);
      // A plain Uint8Array, as from every other backend, so callers never depend on Buffer.
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      throw localError(err, 'read', path);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length);
    const path = this.#path(key);
    try {
      await using fh = await open(path, 'r');
      // Cap by the size first: a range may reach past the end, and must not allocate what is not there.
      const want = Math.max(0, Math.min(length, (await fh.stat()).size - offset));
      const buf = new Uint8Array(want);
      let filled = 0;
      // read() may return fewer bytes than asked; 0 means end of file.
      while (filled < want) {
        const { bytesRead } = await fh.read(buf, filled, want - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    } catch (err) {
      throw localError(err, 'read', path);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.#path(key);
    try {
      const s = await stat(path);
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtimeMs } : undefined;
    } catch (err) {
      const e = localError(err, 'inspect', path);
      if (e.code === 'not-found') return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    // The prefix may end inside a segment: start in the directory it names fully, then keep only
    // entries whose name starts with the partial segment; below those, everything matches.
    const cut = prefix.lastIndexOf('/') + 1;
    yield* this.#walk(prefix.slice(0, cut), prefix.slice(cut));
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await unlink(path);
    } catch (err) {
      const e = localError(err, 'delete', path);
      // Deleting what is not there (or is a directory, hence not an object) is success.
      if (e.code !== 'not-found') throw e;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #path(key: string): string {
    checkKey(key);
    return join(this.#root, ...key.split('/'));
  }

  async #putOnce(path: string, data: Uint8Array): Promise<void> {
    const dir = dirname(path);
    await this.#ensureDir(dir);
    const tmp = join(dir, `${TMP_PREFIX}${randomUUID()}`);
    try {
      {
        await using fh = await open(tmp, 'wx', 0o644);
        await fh.writeFile(data);
        await fh.sync();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await fsyncDir(dir);
  }

  /**
   * Creates dir and its missing ancestors up to the root, fsyncing each parent once per process so
   * the new entries are durable before any object inside them is acknowledged. Concurrent puts
   * into the same new directory share one promise, so none returns before the entry is durable.
   */
  #ensureDir(dir: string): Promise<void> {
    let ready = this.#dirs.get(dir);
    if (!ready) {
      ready = this.#makeDir(dir);
      this.#dirs.set(dir, ready);
      ready.catch(() => this.#dirs.delete(dir));
    }
    return ready;
  }

  async #makeDir(dir: string): Promise<void> {
    if (dir === this.#root) {
      await mkdir(dir, { recursive: true });
    } else {
      await this.#ensureDir(dirname(dir));
      await mkdir(dir).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
    }
    await fsyncDir(dirname(dir));
  }

  /**
   * A writer killed during a put leaves its temporary file, which no listing shows, so nothing else
   * would ever remove it. No put lasts a day: older temporary files are leftovers and go.
   */
  async #removeStaleTemp(path: string): Promise<void> {
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true }).catch(() => undefined);
  }

  async *#walk(relDir: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    const abs = join(this.#root, ...relDir.split('/'));
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      const e = localError(err, 'list', abs);
      if (e.code === 'not-found') return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TMP_PREFIX)) {
        await this.#removeStaleTemp(join(abs, entry.name));
        continue;
      }
      if (!entry.name.startsWith(namePrefix)) continue;
      const key = relDir + entry.name;
      if (entry.isDirectory()) {
        yield* this.#walk(`${key}/`, '');
      } else if (entry.isFile()) {
        const info = await this.head(key);
        if (info) yield info; // deleted since readdir: not listed
      }
    }
  }
}

function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new CairnError('bad-input', `invalid range: offset ${offset}, length ${length}; both must be non-negative integers`);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  await using fh = await open(dir, 'r');
  await fh.sync();
}

/** Marks files being written; a key segment may never start with it. */
const TMP_PREFIX = '.tmp-';
const STALE_TEMP_MS = 24 * 3600_000;

/** Keys must stay inside the root and must not collide with temporary files. */
function checkKey(key: string): void {
  const segments = key.split('/');
  if (key === '' || segments.some((s) => !validSegment(s))) {
    throw new CairnError('bad-input', `invalid storage key '${key}': keys are relative '/'-separated paths without empty, '.', '..' or '${TMP_PREFIX}' segments`);
  }
}

/** Like a key, except that the last segment may be partial or empty. */
function checkPrefix(prefix: string): void {
  const complete = prefix.split('/').slice(0, -1);
  if (complete.some((s) => !validSegment(s)) || prefix.includes('\0')) {
    throw new CairnError('bad-input', `invalid list prefix '${prefix}': complete segments must be valid key segments`);
  }
}

function validSegment(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.startsWith(TMP_PREFIX) && !s.includes('\0');
}

const HINTS: Record<string, string> = {
  ENOENT: 'a directory of the bank vanished during the write; check that nothing else removes files there',
  EACCES: 'check that the Cairn process may read and write it (owner and permissions)',
  EPERM: 'check that the Cairn process may read and write it (owner, permissions, immutable flags)',
  EROFS: 'the file system is mounted read-only; remount it read-write or choose another location',
  ENOSPC: 'the disk is full; free space or move the bank to a larger disk',
  EDQUOT: 'the disk quota is exhausted; raise the quota or free space',
  EIO: 'the disk reported an I/O error; check the disk and the kernel log',
  EMFILE: 'too many open files; raise the open-file limit (ulimit -n)',
  ENFILE: 'the system ran out of file handles; retry later or raise fs.file-max',
  ENOTDIR: 'a component of the path is a file, not a directory; the bank directory is damaged',
  EISDIR: 'a directory stands where an object is expected; the bank directory is damaged',
};

/**
 * Except when writing, ENOENT, ENOTDIR and EISDIR mean the object does not exist (a directory is
 * not an object); everything else is a 'storage' error that names the path and what to check.
 */
function localError(err: unknown, action: 'read' | 'write' | 'inspect' | 'list' | 'delete', path: string): CairnError {
  if (err instanceof CairnError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (action !== 'write' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')) return new CairnError('not-found', `${path} does not exist`, { cause: err });
  const hint = HINTS[code] ?? 'check that the path is accessible and the disk is healthy';
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
  return new CairnError('storage', `cannot ${action} ${path} (${code || String(err)}): ${hint}`, { cause: err, transient });
}
