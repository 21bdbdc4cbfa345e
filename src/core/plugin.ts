/**
 * The protection-plugin port: the code that knows one resource type (a volume, a server, ...).
 * A plugin finds resources on a host, hands the mover a source to back up, prepares the target of a
 * restore, and cleans up what it left on a resource for a checkpoint. It never sees keys, chunks or
 * storage: the mover does the data, through the callbacks it passes in (`store`, `write`).
 * Each plugin publishes JSON schemas of its backup options and restore targets, for the API and the
 * console to validate and render.
 */
import type { BlockSink } from './block-sink.ts';
import type { BlockSource } from './block-source.ts';
import type { Extent } from './extent.ts';

export type ResourceType = 'volume' | 'server' | 'fileset' | 'database';

/**
 * Where resources are found: a libvirt URI (servers), a directory of volumes, a qemu-storage-daemon's
 * QMP socket (volumes it serves), a directory of file roots (each subdirectory a file set).
 */
export const HOST_KINDS = ['libvirt', 'volumes', 'qsd', 'files'] as const;
export type HostKind = typeof HOST_KINDS[number];

/** JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Something a plugin can protect. `id` is what protect() and restore() take; servers contain volumes. */
export interface Resource {
  type: ResourceType;
  id: string;
  name: string;
  sizeBytes?: number;
  /** Plugin-specific facts for people: format, whether it is in use, bitmaps, ... */
  details?: Record<string, unknown>;
  children?: Resource[];
}

/** What a plugin hands the mover to store one image (a disk of the resource). */
export interface ImageInput {
  source: BlockSource;
  /** The id the checkpoint will have (plugins name things after it, e.g. a dirty bitmap). */
  checkpointId: string;
  /** Only these ranges changed since the parent; absent: every data block is read. */
  dirtyExtents?: Extent[];
  /** What the user should know about how the checkpoint was made (a fallback to a whole read, ...). */
  warnings: string[];
}

export type ImageStore<T> = (input: ImageInput) => Promise<T>;

/** One disk of a server, as a plugin hands it to the mover. */
export interface DiskInput {
  /** The disk's name in the server (vda): what matches it with the same disk in the parent checkpoint. */
  target: string;
  /** Its file or device, and format, as the server uses it. */
  path: string;
  format: string;
  source: BlockSource;
  /** Only these ranges changed since the parent checkpoint; absent: every data block is read. */
  dirtyExtents?: Extent[];
}

/** What a plugin hands the mover to store a server: its definition and all its disks at one point in time. */
export interface ServerInput {
  checkpointId: string;
  domain: { name: string; uuid: string; xml: string };
  consistency: 'quiesced' | 'crash-consistent' | 'shut-off';
  disks: DiskInput[];
  warnings: string[];
}

export type ServerStore<T> = (input: ServerInput) => Promise<T>;

/**
 * The mover's part of a restore: fill the sink (in place: only what differs, or only `changed`) with
 * the checkpoint's image, or with its disk `disk` (a server's).
 */
export type ImageWrite<T> = (sink: BlockSink, inPlace: boolean, changed?: Extent[], disk?: string) => Promise<T>;

/** What a restore made: each image written (a volume's one, a server's disks) and, for a server, its domain. */
export interface Restored<T> {
  images: { disk?: string; path: string; result: T }[];
  domain?: string;
}

export interface ProtectRequest {
  resourceId: string;
  /** The checkpoint this backup is incremental to, if any. */
  parentId: string | null;
  /** Names the bank in what the plugin leaves on the resource (bitmap names). */
  bankTag: string;
  /** Validated against backupOptionsSchema. */
  options: Record<string, unknown>;
}

export interface RestoreRequest {
  checkpointId: string;
  /** The image size the checkpoint holds (a volume's). */
  size: number;
  /** A server checkpoint's definition and disks (sizes in bytes). */
  server?: { domain: { name: string; uuid: string; xml: string }; disks: { target: string; source: string; format: string; size: number }[] };
  bankTag: string;
  /** Validated against restoreTargetSchema. */
  target: Record<string, unknown>;
}

/** A plugin protects resources of one type; `Input` is what it hands the mover (an image, or a server's disks). */
export interface ProtectionPlugin<Input = ImageInput> {
  readonly type: ResourceType;
  readonly backupOptionsSchema: JsonSchema;
  readonly restoreTargetSchema: JsonSchema;
  /** The resources at a location this plugin understands (a directory of images, a QMP socket, ...). */
  discover(location: string): Promise<Resource[]>;
  protect<T>(req: ProtectRequest, store: (input: Input) => Promise<T>): Promise<T>;
  restore<T>(req: RestoreRequest, write: ImageWrite<T>): Promise<Restored<T>>;
  /** Removes what the plugin keeps on the resource for a checkpoint that is being deleted. */
  forget(resourceId: string, checkpointId: string, bankTag: string): Promise<void>;
}

/** What the control plane needs of the plugins, wired in by the composition root. */
export interface PluginCatalog {
  /** Each resource type with its schemas (GET /v1/protectables). */
  protectables: { type: ResourceType; backupOptionsSchema: JsonSchema; restoreTargetSchema: JsonSchema }[];
  /** The resources at a host's location: `kind` says which plugin reads it. */
  discover(kind: HostKind, location: string): Promise<Resource[]>;
}
