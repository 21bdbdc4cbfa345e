/**
 * One node of a backed-up file tree, as the scanner sees it and the restorer recreates it.
 *
 * Model: a file-tree backup is a stream of FileEntry records in scan order (depth-first, a
 * directory before its children, siblings sorted by the raw bytes of their names). The root
 * directory that was scanned is not an entry: paths are relative to it and the restore target
 * takes its place (its own owner, mode and times are left alone).
 *
 * Paths and link targets are raw bytes (Linux file names are bytes, not text): names may
 * contain newlines or bytes that are not UTF-8.
 */
import type { Buffer } from 'node:buffer';

export type FileType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev' | 'socket';

/** A chunk of file content stored in the bank. */
export interface ChunkRef {
  /** Chunk id, lowercase hex. */
  id: string;
  /** Plain (uncompressed, unencrypted) length of the chunk in bytes. */
  size: number;
}

export interface FileEntry {
  /**
   * Path relative to the scanned root: '/'-separated raw bytes, never empty, never absolute,
   * no '.' or '..' components (the codec rejects records that break this).
   */
  path: Buffer;
  type: FileType;
  /** Permission bits including setuid, setgid and sticky: st_mode & 0o7777. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, nanoseconds since the Unix epoch. */
  mtimeNs: bigint;
  /** Status change time, nanoseconds since the Unix epoch; for change detection only, never restored. */
  ctimeNs: bigint;
  /** Length of a regular file's content in bytes; 0 for every other type. */
  size: number;
  /** st_dev of the scanned file; with `ino`, identifies an inode during one scan. Not restored. */
  dev: number;
  /** st_ino; used for hard links and change detection. Not restored. */
  ino: bigint;
  /** st_nlink at scan time; a file with nlink > 1 may be the first path of a hard-link group. */
  nlink: number;
  /** Symlinks only: the link target, verbatim (never resolved). */
  target?: Buffer;
  /**
   * Set on the second and later paths of the same inode (nlink > 1, not a directory): the path
   * of the first entry of that inode in this archive. A hint: such an entry still carries the
   * full `content` refs, so it can be restored as a regular file when the first path is not.
   */
  hardlinkTo?: Buffer;
  /** Character and block devices only: st_rdev (Linux encoding of major and minor). */
  rdev?: number;
  /** Extended attributes of every namespace that could be read, sorted by name. */
  xattrs?: Array<[name: string, value: Buffer]>;
  /** Regular files (hard links included): the chunks that make up the content, in order. */
  content?: ChunkRef[];
}
