/**
 * Checkpoint manifests, `checkpoints/<id>`: the JSON that makes a checkpoint exist. Written last,
 * after every pack and index object it needs is durable; a checkpoint without a manifest does not exist.
 * Sealed with context "cairn:manifest:<id>" so a manifest cannot be renamed to another id.
 */
import { randomBytes } from 'node:crypto';
import { CairnError } from '../core/errors.ts';
import { contextOf, openDecompressed, sealCompressed } from './envelope.ts';

export type CheckpointType = 'image' | 'stream' | 'files' | 'server';

/** Blocks of `blockSize` bytes; each page is a meta chunk of 32-byte ids (32 zero bytes = zero block); null = all-zero page. */
export interface FixedIndexRef {
  kind: 'fixed';
  size: number;
  blockSize: number;
  pageEntries: number;
  pages: (string | null)[];
}

/** Variable-size chunks in order; each page is a meta chunk of (id:32, size:u32le) entries. */
export interface DynamicIndexRef {
  kind: 'dynamic';
  size: number;
  pages: { id: string; bytes: number; chunks: number }[];
}

/** A file tree: the catalog is a stream of entry records (see docs/bank-format.md) stored as meta chunks. */
export interface FileTreeRef {
  kind: 'files';
  catalog: DynamicIndexRef;
  entries: number;
  files: number;
  dirs: number;
}

/** One disk of a server, as the server's checkpoint holds it. */
export interface ServerDisk {
  /** The disk's target in the domain (vda, sdb, ...): what names it across checkpoints and in restores. */
  target: string;
  /** The disk's file when it was backed up, and its format then. */
  source: string;
  format: string;
  /** Bytes read from this disk. */
  readBytes: number;
  index: FixedIndexRef;
}

/** A server (a libvirt domain): its definition and every disk it had, all at one point in time. */
export interface ServerRef {
  kind: 'server';
  domain: { name: string; uuid: string; /** The persistent definition, as libvirt gave it (without secrets). */ xml: string };
  /**
   * 'quiesced': the guest agent froze the file systems for the point in time; 'crash-consistent': the
   * disks as a power cut would leave them; 'shut-off': the server was not running.
   */
  consistency: 'quiesced' | 'crash-consistent' | 'shut-off';
  disks: ServerDisk[];
}

/** A manifest without its index: what listings, retention and the choice of a parent need. */
export type CheckpointInfo = Omit<Manifest, 'index'>;

export interface Manifest {
  version: 1;
  id: string;
  name: string;
  type: CheckpointType;
  parent: string | null;
  startedAt: string;
  createdAt: string;
  host: string;
  tags: string[];
  /** Logical size of the source. */
  sourceBytes: number;
  /** Bytes actually read from the source. */
  readBytes: number;
  /** Bytes of new objects this checkpoint wrote to the bank (packs, index, manifest). */
  writtenBytes: number;
  /** Stored (compressed, encrypted) bytes of every chunk the checkpoint references, shared or not. */
  storedBytes: number;
  index: FixedIndexRef | DynamicIndexRef | FileTreeRef | ServerRef;
  warnings?: string[];
}

export function newCheckpointId(): string {
  return randomBytes(8).toString('hex');
}

export function manifestKey(id: string): string {
  return `checkpoints/${id}`;
}

export function sealManifest(dataKey: Uint8Array, m: Manifest): Buffer {
  return sealCompressed(dataKey, contextOf(`cairn:manifest:${m.id}`), Buffer.from(JSON.stringify(m)));
}

export function openManifest(dataKey: Uint8Array, id: string, object: Uint8Array): Manifest {
  const plain = openDecompressed(dataKey, contextOf(`cairn:manifest:${id}`), object, `checkpoint ${id}`);
  const m = JSON.parse(plain.toString('utf8')) as Manifest;
  const version: number = m.version;
  if (version !== 1) throw new CairnError('format-too-new', `checkpoint ${id} has manifest version ${version}: upgrade Cairn`);
  if (m.id !== id) throw new CairnError('corrupt', `checkpoint ${id} holds the manifest of ${m.id}`);
  return m;
}
