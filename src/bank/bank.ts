/**
 * A bank opened with its key: the one entry point to the bank format for the rest of Cairn.
 *
 * Layout (see docs/bank-format.md):
 *   cairn-bank.json               descriptor, plaintext
 *   packs/<2 hex>/<32 hex>        frames of chunks + encrypted header
 *   index/<32 hex>                where chunks live
 *   checkpoints/<16 hex>          manifests; a checkpoint exists iff its manifest does
 *   sessions/<16 hex>             running writers, for garbage collection
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { CairnError, isCairnError, isNotFound } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import type { StorageBackend } from '../core/storage-backend.ts';
import { ChunkIndex } from './chunk-index.ts';
import { checkChunk, chunkId } from './chunk-codec.ts';
import { frameMembers, frameRoom, memberFinder, notInFrame, openFrame, sealFrame } from './frame.ts';
import { DEFAULT_CHUNKING, DESCRIPTOR_KEY, FORMAT_NAME, FORMAT_VERSION, parseDescriptor, serializeDescriptor, type BankDescriptor, type ChunkingParams } from './descriptor.ts';
import { createSlot, generateKeys, unlock, type BankKeys, type KeySlot, type ScryptParams, type Secret } from './keys.ts';
import { forEachIndexEntry, indexKey } from './index-file.ts';
import { listCondemned } from './gc-state.ts';
import { manifestKey, openManifest, type CheckpointInfo, type Manifest } from './manifest.ts';
import { packKey } from './pack-format.ts';

/** zstd level of metadata chunks: small, written once, read often. */
const META_LEVEL = 3;
/** Bytes an index entry takes in an index object, compressed and sealed (measured: 32.5): sizes the chunk table. */
const INDEX_BYTES_PER_ENTRY = 32;
/** Index entries that go into the chunk table together (ChunkIndex.addMany): as many as a backup puts in one index object. */
const INDEX_BATCH = 1 << 16;

export class Bank {
  readonly storage: StorageBackend;
  readonly descriptor: BankDescriptor;
  readonly keys: BankKeys;
  /** The key slot that opened the bank. */
  readonly slot: KeySlot;

  private constructor(storage: StorageBackend, descriptor: BankDescriptor, keys: BankKeys, slot: KeySlot) {
    this.storage = storage;
    this.descriptor = descriptor;
    this.keys = keys;
    this.slot = slot;
  }

  get chunking(): ChunkingParams {
    return this.descriptor.chunking;
  }

  static async init(storage: StorageBackend, secrets: Secret[], options: { chunking?: Partial<ChunkingParams>; scrypt?: ScryptParams } = {}): Promise<Bank> {
    if (secrets.length === 0) throw new CairnError('bad-input', 'a bank needs at least one passphrase or key file');
    if (await storage.head(DESCRIPTOR_KEY)) throw new CairnError('bank-exists', `${storage.location} already holds a Cairn bank; use it, or choose an empty location`);
    for await (const o of storage.list('')) {
      throw new CairnError('bad-input', `${storage.location} is not empty (it holds ${o.key}); a bank needs an empty location`);
    }
    const keys = generateKeys();
    const bankId = randomBytes(16).toString('hex');
    const keySlots: KeySlot[] = [];
    for (const s of secrets) keySlots.push(await createSlot(bankId, keys, s, options.scrypt));
    const descriptor: BankDescriptor = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      bankId,
      createdAt: new Date().toISOString(),
      chunking: { ...DEFAULT_CHUNKING, ...options.chunking },
      keySlots,
    };
    await storage.put(DESCRIPTOR_KEY, serializeDescriptor(descriptor));
    return new Bank(storage, descriptor, keys, keySlots[0]!);
  }

  /** Reads the descriptor without a key (bank info, and to tell "not a bank" from "wrong key"). */
  static async describe(storage: StorageBackend): Promise<BankDescriptor> {
    try {
      return parseDescriptor(await storage.get(DESCRIPTOR_KEY), storage.location);
    } catch (err) {
      if (isNotFound(err)) throw new CairnError('not-a-bank', `${storage.location} is not a Cairn bank (no ${DESCRIPTOR_KEY}); create one with 'cairn bank init'`);
      throw err;
    }
  }

  static async open(storage: StorageBackend, secret: Secret): Promise<Bank> {
    const descriptor = await Bank.describe(storage);
    const { keys, slot } = await unlock(descriptor.bankId, descriptor.keySlots, secret);
    return new Bank(storage, descriptor, keys, slot);
  }

  /**
   * Replaces the slot that opened this bank with one for `secret` (cairn bank passwd).
   * Only the descriptor is rewritten, atomically; every data object stays as it is.
   */
  async replaceSlot(secret: Secret, scrypt?: ScryptParams): Promise<KeySlot> {
    const slot = await createSlot(this.descriptor.bankId, this.keys, secret, scrypt);
    const current = await Bank.describe(this.storage);
    const keySlots = [...current.keySlots.filter((s) => s.id !== this.slot.id), slot];
    await this.storage.put(DESCRIPTOR_KEY, serializeDescriptor({ ...current, keySlots }));
    return slot;
  }

  async addSlot(secret: Secret, scrypt?: ScryptParams): Promise<KeySlot> {
    const slot = await createSlot(this.descriptor.bankId, this.keys, secret, scrypt);
    const current = await Bank.describe(this.storage);
    await this.storage.put(DESCRIPTOR_KEY, serializeDescriptor({ ...current, keySlots: [...current.keySlots, slot] }));
    return slot;
  }

  async listCheckpointIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const o of this.storage.list('checkpoints/')) {
      const id = o.key.slice('checkpoints/'.length);
      if (/^[0-9a-f]{16}$/.test(id)) ids.push(id);
    }
    return ids;
  }

  /**
   * Every checkpoint, oldest first, without its index: an image's page list grows with its size (1.3 MB
   * of it per TiB), so holding every manifest whole would grow with the bank. readManifest gives one whole.
   */
  async listCheckpoints(): Promise<CheckpointInfo[]> {
    const ids = await this.listCheckpointIds();
    const infos = await mapLimit(ids, 8, async (id) => {
      const m = await this.findManifest(id);
      if (!m) return undefined;
      const { index: _index, ...info } = m;
      return info;
    });
    return infos.filter((m) => m !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async readManifest(id: string): Promise<Manifest> {
    let object: Uint8Array;
    try {
      object = await this.storage.get(manifestKey(id));
    } catch (err) {
      if (isNotFound(err)) throw new CairnError('not-found', `no checkpoint ${id} in ${this.storage.location}; 'cairn checkpoints' lists them`);
      throw err;
    }
    return openManifest(this.keys.dataKey, id, object);
  }

  /**
   * A checkpoint that was listed, or undefined if it was forgotten since: between a listing and a
   * read, a forget or prune may delete any manifest, and then it simply no longer exists.
   */
  async findManifest(id: string): Promise<Manifest | undefined> {
    try {
      return await this.readManifest(id);
    } catch (err) {
      if (isCairnError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  /** Finds a checkpoint by its id or a unique prefix of it. */
  async resolveCheckpoint(ref: string): Promise<Manifest> {
    if (!/^[0-9a-f]{1,16}$/.test(ref)) throw new CairnError('bad-input', `'${ref}' is not a checkpoint id (16 hex digits, or a unique prefix of one)`);
    if (ref.length === 16) return this.readManifest(ref);
    const matches = (await this.listCheckpointIds()).filter((id) => id.startsWith(ref));
    if (matches.length === 0) throw new CairnError('not-found', `no checkpoint starts with ${ref} in ${this.storage.location}; 'cairn checkpoints' lists them`);
    if (matches.length > 1) throw new CairnError('ambiguous', `${ref} matches ${matches.length} checkpoints (${matches.slice(0, 4).join(', ')}…); give more digits`);
    return this.readManifest(matches[0]!);
  }

  /**
   * Loads every index object into memory. For writing, chunks in packs a GC has condemned are left out,
   * so a new backup never makes a condemned pack needed again (see gc.ts); readers see everything.
   */
  async loadIndex(options: { forWriting?: boolean } = {}): Promise<ChunkIndex> {
    const condemned = new Set<string>();
    if (options.forWriting) for (const r of await listCondemned(this.storage, this.keys.dataKey)) for (const p of r.packs) condemned.add(p);
    let index = new ChunkIndex();
    // An index object's entries, gathered to go into the table in address order (ChunkIndex.addMany).
    const ids = new Uint32Array(4 * INDEX_BATCH), frames = new Uint32Array(INDEX_BATCH);
    let n = 0;
    await this.eachIndexObject(
      (bytes) => { index = new ChunkIndex(bytes / INDEX_BYTES_PER_ENTRY); },
      (name, object) => {
        forEachIndexEntry(this.keys.dataKey, name, object, (packId, entries, at, offset, length, frameRaw) => {
          if (condemned.has(packId)) return;
          if (n === frames.length) { index.addMany(ids, frames, n); n = 0; }
          for (let w = 0; w < 4; w++) ids[4 * n + w] = entries.readUInt32LE(at + 4 * w);
          frames[n++] = index.frameOf(packId, offset, length, frameRaw);
        });
        freeNow(object);
      },
    );
    index.addMany(ids, frames, n);
    return index;
  }

  /**
   * Hands every index object to `take`, one at a time (the peak stays one decrypted object), after
   * `begin` with the listed objects' total size. A GC replaces an index object by writing its
   * successor (a subset of it) first, then deleting it: an object that vanishes before we read it
   * means our listing may miss its successor, so the rest is read, then `index/` is listed again
   * for the objects not seen yet. Old and new overlap, which readers allow (first copy wins); a GC
   * that rewrites many objects one by one costs a listing per vanished object, not a restart.
   */
  async eachIndexObject(begin: (bytes: number) => void, take: (name: string, object: Uint8Array) => void): Promise<void> {
    const seen = new Set<string>();
    for (let listing = 0; ; listing++) {
      const names: string[] = [];
      let bytes = 0;
      for await (const o of this.storage.list('index/')) {
        const name = o.key.slice('index/'.length);
        if (seen.has(name)) continue;
        names.push(name);
        bytes += o.size;
      }
      if (listing === 0) begin(bytes);
      let vanished = false;
      for (const name of names) {
        seen.add(name);
        let object: Uint8Array;
        try {
          object = await this.storage.get(indexKey(name));
        } catch (err) {
          if (!isNotFound(err)) throw err;
          vanished = true;
          continue;
        }
        take(name, object);
      }
      if (!vanished) return;
      if (listing >= 1000) throw new CairnError('storage', `the index of ${this.storage.location} kept changing while it was read; try again`, { transient: true });
    }
  }

  /** Deletes a checkpoint's manifest: it stops existing at once; its chunks are freed by the next GC. */
  async deleteCheckpoint(id: string): Promise<void> {
    await this.storage.delete(manifestKey(id));
  }

  /** Reads bytes of a pack; a missing or short pack is damage ('corrupt'), named as such. */
  async readPackRange(packId: string, offset: number, length: number): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.storage.getRange(packKey(packId), offset, length);
    } catch (err) {
      if (isNotFound(err)) throw new CairnError('corrupt', `pack ${packId} is missing from the bank`, { cause: err });
      throw err;
    }
    if (bytes.length !== length) throw new CairnError('corrupt', `pack ${packId} is shorter than its index says (${offset + bytes.length} < ${offset + length} bytes)`);
    return bytes;
  }

  /**
   * Reads and checks one chunk (metadata and small reads; bulk restores use the mover's pipeline).
   * The result is a view into its frame's plaintext.
   */
  async readChunk(index: ChunkIndex, id: Uint8Array): Promise<Buffer> {
    const hex = Buffer.from(id).toString('hex');
    const location = index.get(id);
    if (!location) throw new CairnError('corrupt', `chunk ${hex} is referenced but in no index (lost pack or index)`);
    const what = `the frame holding chunk ${hex}`;
    const plain = openFrame(this.keys.dataKey, await this.readPackRange(location.packId, location.offset, location.length), what);
    const member = memberFinder(frameMembers(plain, what))(id);
    if (!member) throw notInFrame(id);
    const chunk = plain.subarray(member.offset, member.offset + member.length);
    checkChunk(this.keys.idKey, id, chunk);
    return chunk;
  }

  /** The id of a chunk, computed in the calling thread (metadata: index pages, catalog pieces). */
  chunkId(plaintext: Uint8Array): Buffer {
    return chunkId(this.keys.idKey, plaintext);
  }

  /** A metadata chunk sealed in the calling thread, as a frame of its own. */
  sealMeta(id: Uint8Array, plaintext: Uint8Array): Buffer {
    const frame = Buffer.allocUnsafe(frameRoom(1, plaintext.length));
    return frame.subarray(0, sealFrame(this.keys.dataKey, [{ id, data: plaintext }], META_LEVEL, frame, 0));
  }

  get host(): string {
    return hostname();
  }
}

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}
