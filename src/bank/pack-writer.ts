/**
 * Fills packs with frames and uploads them, a bounded number at a time.
 * Data and metadata chunks go to separate packs so metadata (index pages, catalogs) stays
 * dense and cheap to read back. Frames are copied into reusable pack buffers, so memory is
 * at most (2 open + maxUploads) pack buffers whatever the size of the backup.
 *
 * A chunk's location is known as soon as it is added, but it is durable only after flush():
 * nothing may publish an index or manifest that names it before then.
 */
import { randomBytes } from 'node:crypto';
import type { StorageBackend } from '../core/storage-backend.ts';
import type { IndexedPack } from './index-file.ts';
import { freeNow } from '../core/free-now.ts';
import { encodeEntries, packKey, sealPackHeader, type ChunkType, type PackEntry } from './pack-format.ts';

interface OpenPack {
  packId: string;
  type: ChunkType;
  buf: Buffer;
  size: number;
  entries: PackEntry[];
}

/** Room past the target size: the last frame may overshoot it (frames are at most a few MiB), and the header follows. */
const SLACK = 3 << 20;
/** Room kept for the encrypted header at the end of a pack buffer. */
const HEADER_ROOM = 256 << 10;

export class PackWriter {
  readonly #storage: StorageBackend;
  readonly #dataKey: Uint8Array;
  readonly #packSize: number;
  readonly #maxUploads: number;
  readonly #open: Partial<Record<ChunkType, OpenPack>> = {};
  readonly #uploads = new Set<Promise<void>>();
  /** Durable packs not yet taken for an index object. */
  readonly #written: IndexedPack[] = [];
  #writtenEntries = 0;
  readonly #spare: Buffer[] = [];
  #failure: { error: unknown } | undefined;
  /** Bytes of pack objects uploaded so far. */
  writtenBytes = 0;

  constructor(storage: StorageBackend, dataKey: Uint8Array, options: { packSize: number; maxUploads?: number }) {
    this.#storage = storage;
    this.#dataKey = dataKey;
    this.#packSize = options.packSize;
    this.#maxUploads = options.maxUploads ?? 1;
  }

  /**
   * Copies one frame into a pack (the caller may reuse its buffer as soon as this returns a promise);
   * resolves once there is room for more (backpressure), with the frame's location.
   */
  async add(type: ChunkType, frame: Uint8Array, members: readonly { id: Uint8Array; rawLength: number }[]): Promise<{ packId: string; offset: number }> {
    if (this.#failure) throw this.#failure.error;
    let pack = this.#open[type];
    if (pack && pack.size + frame.length > pack.buf.length - HEADER_ROOM) {
      if (type === 'meta' && pack.buf.length < this.#packSize + SLACK) {
        const old = pack.buf;
        const room = Math.max(Math.min(this.#packSize + SLACK, old.length * 4), pack.size + frame.length + HEADER_ROOM);
        pack.buf = Buffer.concat([old.subarray(0, pack.size)], room);
        freeNow(old);
      } else {
        this.#open[type] = undefined;
        this.#upload(pack);
        pack = undefined;
      }
    }
    pack ??= this.#open[type] = this.#newPack(type, frame.length);
    const offset = pack.size;
    pack.buf.set(frame, offset);
    for (const m of members) pack.entries.push({ type, id: Buffer.from(m.id), offset, length: frame.length, rawLength: m.rawLength });
    pack.size += frame.length;
    const location = { packId: pack.packId, offset };
    if (pack.size >= this.#packSize) {
      this.#open[type] = undefined;
      this.#upload(pack);
    }
    while (this.#uploads.size > this.#maxUploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    return location;
  }

  /** How many chunks the durable packs that takeDurable() would return hold. */
  get durableEntries(): number {
    return this.#writtenEntries;
  }

  /** The packs that became durable since the last call (or flush), for an index object. */
  takeDurable(): IndexedPack[] {
    this.#writtenEntries = 0;
    return this.#written.splice(0);
  }

  /** Uploads what is buffered and waits for every upload; returns the packs made durable since the last take. */
  async flush(): Promise<IndexedPack[]> {
    for (const type of ['data', 'meta'] as const) {
      const pack = this.#open[type];
      this.#open[type] = undefined;
      if (pack) this.#upload(pack);
    }
    while (this.#uploads.size > 0) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    return this.takeDurable();
  }

  /** Waits for the uploads under way, whatever their outcome: for a writer that gives up. */
  async settle(): Promise<void> {
    while (this.#uploads.size > 0) await Promise.race(this.#uploads);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  #newPack(type: ChunkType, firstLength: number): OpenPack {
    // Metadata packs start small: a backup writes little metadata, often far less than a pack.
    const need = type === 'meta' ? Math.max(1 << 20, firstLength * 2) : Math.max(this.#packSize, firstLength) + SLACK;
    const spare = type === 'data' ? this.#spare.pop() : undefined;
    if (spare && spare.length < need) freeNow(spare);
    const buf = spare && spare.length >= need ? spare : Buffer.allocUnsafeSlow(need);
    return { packId: randomBytes(16).toString('hex'), type, buf, size: 0, entries: [] };
  }

  #upload(pack: OpenPack): void {
    const entries = encodeEntries(pack.entries);
    const header = sealPackHeader(this.#dataKey, pack.packId, entries);
    let body: Buffer;
    if (pack.size + header.length <= pack.buf.length) {
      header.copy(pack.buf, pack.size);
      body = pack.buf.subarray(0, pack.size + header.length);
    } else {
      body = Buffer.concat([pack.buf.subarray(0, pack.size), header]);
    }
    const task: Promise<void> = this.#storage.put(packKey(pack.packId), body).then(
      () => {
        this.writtenBytes += body.length;
        this.#written.push({ packId: pack.packId, entries });
        this.#writtenEntries += pack.entries.length;
        // Pack buffers live long enough to reach V8's old generation, where a dropped one would wait
        // for a full collection: RSS grew by a pack per pack written. Keep them, or free them now.
        if (pack.type === 'data' && this.#spare.length < this.#maxUploads) this.#spare.push(pack.buf);
        else freeNow(pack.buf);
        if (body.buffer !== pack.buf.buffer) freeNow(body);
      },
      (error: unknown) => { this.#failure ??= { error }; },
    ).finally(() => this.#uploads.delete(task));
    this.#uploads.add(task);
  }
}
