/**
 * The record encoding of FileEntry: newline-delimited JSON, one entry per line, in scan order.
 *
 * Each record is one JSON object followed by "\n". Keys appear in this order; optional keys are
 * omitted when absent. Byte strings (paths, link targets, xattr values) are written as a JSON
 * string when they are valid UTF-8 without "\n" or NUL, otherwise base64 (standard alphabet,
 * padded) in the sibling key with the `B64` suffix; exactly one of the two is present.
 * Integers that may exceed 2^53 are decimal strings.
 *
 *   path | pathB64               string  path relative to the backup root, '/'-separated; never
 *                                        empty or absolute, no '', '.' or '..' component
 *   type                         string  "file" | "dir" | "symlink" | "fifo" | "chardev" |
 *                                        "blockdev" | "socket"
 *   mode                         number  permission bits, st_mode & 0o7777 (decimal in JSON)
 *   uid, gid                     number  numeric owner and group
 *   mtimeNs                      string  modification time, decimal ns since the epoch (may be negative)
 *   ctimeNs                      string  status change time, same unit; change detection only
 *   size                         number  bytes of a regular file's content; 0 for other types
 *   dev                          number  st_dev at backup time; change detection only
 *   ino                          string  st_ino, decimal
 *   nlink                        number  st_nlink at backup time
 *   target | targetB64           string  symlinks only (required for them): the link target
 *   hardlinkTo | hardlinkToB64   string  later paths of a hard-linked inode: the path of the
 *                                        first entry of that inode (same rules as `path`)
 *   rdev                         number  chardev and blockdev only: st_rdev
 *   xattrs                       array   [{"name": string, "value" | "valueB64": string}, …],
 *                                        sorted by name
 *   content                      array   regular files, hard links included:
 *                                        [{"id": lowercase hex chunk id, "size": bytes}, …]
 *
 * Example: {"path":"etc/motd","type":"file","mode":420,"uid":0,"gid":0,
 *   "mtimeNs":"1700000000123456789","ctimeNs":"1700000000123456789","size":5,"dev":2049,
 *   "ino":"131","nlink":1,"content":[{"id":"ab12…","size":5}]}
 *
 * Readers ignore keys they do not know, so later versions may add optional keys; a change of
 * meaning of an existing key needs a new format version (recorded by the bank, not per line).
 * A record that breaks these rules makes decoding fail with CairnError 'corrupt'.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { CairnError } from '../core/errors.ts';
import type { ChunkRef, FileEntry, FileType } from '../core/file-entry.ts';

const FILE_TYPES: ReadonlySet<string> = new Set<FileType>(['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket']);
const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const HEX = /^[0-9a-f]+$/;

/** Encodes one entry as one line of JSON ending in "\n". Equal entries give equal bytes. */
export function encodeEntry(e: FileEntry): Buffer {
  const r: Record<string, unknown> = {};
  putBytes(r, 'path', e.path);
  r.type = e.type;
  r.mode = e.mode;
  r.uid = e.uid;
  r.gid = e.gid;
  r.mtimeNs = e.mtimeNs.toString();
  r.ctimeNs = e.ctimeNs.toString();
  r.size = e.size;
  r.dev = e.dev;
  r.ino = e.ino.toString();
  r.nlink = e.nlink;
  if (e.target !== undefined) putBytes(r, 'target', e.target);
  if (e.hardlinkTo !== undefined) putBytes(r, 'hardlinkTo', e.hardlinkTo);
  if (e.rdev !== undefined) r.rdev = e.rdev;
  if (e.xattrs !== undefined) {
    r.xattrs = e.xattrs.map(([name, value]) => {
      const x: Record<string, unknown> = { name };
      putBytes(x, 'value', value);
      return x;
    });
  }
  if (e.content !== undefined) r.content = e.content.map((c) => ({ id: c.id, size: c.size }));
  return Buffer.from(`${JSON.stringify(r)}\n`);
}

/** Decodes one record (with or without its trailing newline). */
export function decodeEntry(line: string | Uint8Array): FileEntry {
  const text = typeof line === 'string' ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CairnError('corrupt', 'file entry record is not JSON', { cause: err });
  }
  if (!isRecord(raw)) throw corrupt('is not an object');
  const r = raw;
  const type = r.type;
  if (typeof type !== 'string' || !FILE_TYPES.has(type)) throw corrupt('has no valid type');
  const e: FileEntry = {
    path: safePath(getBytes(r, 'path', true), 'path'),
    type: type as FileType,
    mode: int(r, 'mode', 0, 0o7777),
    uid: int(r, 'uid'),
    gid: int(r, 'gid'),
    mtimeNs: bigintOf(r, 'mtimeNs'),
    ctimeNs: bigintOf(r, 'ctimeNs'),
    size: int(r, 'size'),
    dev: int(r, 'dev'),
    ino: bigintOf(r, 'ino'),
    nlink: int(r, 'nlink'),
  };
  const target = getBytes(r, 'target', type === 'symlink');
  if (target !== undefined) {
    if (target.length === 0 || target.includes(0)) throw corrupt('has an invalid symlink target');
    e.target = target;
  }
  const hardlinkTo = getBytes(r, 'hardlinkTo', false);
  if (hardlinkTo !== undefined) e.hardlinkTo = safePath(hardlinkTo, 'hardlinkTo');
  if (r.rdev !== undefined) e.rdev = int(r, 'rdev');
  if (r.xattrs !== undefined) e.xattrs = xattrsOf(r.xattrs);
  if (r.content !== undefined) e.content = contentOf(r.content);
  return e;
}

/**
 * Decodes a stream of records: chunks of bytes or text split anywhere, records separated by
 * "\n" (a JSON record never contains a raw newline). Empty lines are skipped.
 */
export async function* decodeEntries(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<FileEntry> {
  let rest = Buffer.alloc(0);
  let lineNo = 0;
  const decodeLine = (line: Buffer): FileEntry => {
    lineNo++;
    try {
      return decodeEntry(line);
    } catch (err) {
      if (err instanceof CairnError) throw new CairnError('corrupt', `${err.message} (record ${lineNo})`, { cause: err });
      throw err;
    }
  };
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buf = rest.length === 0 ? bytes : Buffer.concat([rest, bytes]);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      const line = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (line.length > 0) yield decodeLine(line);
    }
    rest = Buffer.from(buf); // detach from the caller's chunk
  }
  if (rest.length > 0) yield decodeLine(rest);
}

/**
 * True when `path` is a valid entry path: relative, '/'-separated, no empty, '.' or '..'
 * component, no NUL. Restoring only such paths keeps every write inside the target directory.
 */
export function isSafePath(path: Buffer): boolean {
  if (path.length === 0 || path.includes(0)) return false;
  let start = 0;
  while (start <= path.length) {
    let end = path.indexOf(0x2f, start);
    if (end < 0) end = path.length;
    const len = end - start;
    if (len === 0) return false;
    if (path[start] === 0x2e && (len === 1 || (len === 2 && path[start + 1] === 0x2e))) return false;
    start = end + 1;
  }
  return true;
}

function putBytes(r: Record<string, unknown>, key: string, value: Buffer): void {
  if (isUtf8(value) && !value.includes(0x0a) && !value.includes(0)) r[key] = value.toString('utf8');
  else r[`${key}B64`] = value.toString('base64');
}

function getBytes(r: Record<string, unknown>, key: string, required: true): Buffer;
function getBytes(r: Record<string, unknown>, key: string, required: boolean): Buffer | undefined;
function getBytes(r: Record<string, unknown>, key: string, required: boolean): Buffer | undefined {
  const text = r[key];
  const b64 = r[`${key}B64`];
  if (text !== undefined && b64 !== undefined) throw corrupt(`has both ${key} and ${key}B64`);
  if (typeof text === 'string') return Buffer.from(text);
  if (typeof b64 === 'string') {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64') !== b64) throw corrupt(`has invalid base64 in ${key}B64`);
    return bytes;
  }
  if (text !== undefined || b64 !== undefined) throw corrupt(`has a ${key} that is not a string`);
  if (required) throw corrupt(`has no ${key}`);
  return undefined;
}

function safePath(path: Buffer, key: string): Buffer {
  if (!isSafePath(path)) throw corrupt(`has an unsafe ${key} (empty, absolute, or with '.' or '..')`);
  return path;
}

function int(r: Record<string, unknown>, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw corrupt(`has an invalid ${key}`);
  return v;
}

function bigintOf(r: Record<string, unknown>, key: string): bigint {
  const v = r[key];
  if (typeof v !== 'string' || !DECIMAL.test(v)) throw corrupt(`has an invalid ${key}`);
  return BigInt(v);
}

function xattrsOf(v: unknown): Array<[string, Buffer]> {
  if (!Array.isArray(v)) throw corrupt('has xattrs that are not an array');
  return v.map((x: unknown): [string, Buffer] => {
    if (!isRecord(x) || typeof x.name !== 'string' || x.name === '') throw corrupt('has an xattr without a name');
    return [x.name, getBytes(x, 'value', true)];
  });
}

function contentOf(v: unknown): ChunkRef[] {
  if (!Array.isArray(v)) throw corrupt('has content that is not an array');
  return v.map((c: unknown) => {
    if (!isRecord(c) || typeof c.id !== 'string' || !HEX.test(c.id)) throw corrupt('has a chunk ref without a valid id');
    return { id: c.id, size: int(c, 'size') };
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function corrupt(what: string): CairnError {
  return new CairnError('corrupt', `file entry record ${what}`);
}
