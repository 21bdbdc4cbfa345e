/**
 * Frames: how chunks are stored. A frame seals one or more chunks, back to back, in one envelope,
 * so that the sixteen 64 KiB blocks of a megabyte compress as well as one megabyte block (about 10%
 * smaller than one by one), and a reader opens one envelope for many chunks.
 *
 *   plaintext := count:u32le ‖ (id:32 ‖ rawLength:u32le) × count ‖ chunk_0 ‖ … ‖ chunk_{count−1}
 *   frame     := envelope(dataKey, context "cairn:frame", zstd(plaintext) when that is shorter)
 *
 * The member table is inside the authenticated plaintext: a frame found where another chunk should
 * be does not list that chunk's id, so it is caught. Readers also re-hash every chunk they use.
 * Deduplication stays per chunk: a frame holds only chunks the bank did not have.
 */
import { CairnError } from '../core/errors.ts';
import { Scratch } from '../core/scratch.ts';
import { ENVELOPE_OVERHEAD, FLAG_ZSTD, contextOf, openInto, sealInto } from './envelope.ts';
import { compressBound, compressInto, decompressInto, frameContentSize } from './zstd.ts';

export const FRAME_CONTEXT = contextOf('cairn:frame');
const COUNT_BYTES = 4;
const MEMBER_BYTES = 36;
/** Writers close a frame before it would exceed this many bytes of chunks (a larger chunk gets one of its own). */
export const FRAME_TARGET_BYTES = 1 << 20;
/** Readers refuse larger frames: writers make them of at most one megabyte, or one chunk of at most a few. */
export const MAX_FRAME_BYTES = 64 << 20;

export interface FrameMember {
  id: Uint8Array;
  data: Uint8Array;
}

/** Plaintext size of a frame of `count` chunks holding `rawBytes` in all. */
export function framePlainSize(count: number, rawBytes: number): number {
  return COUNT_BYTES + count * MEMBER_BYTES + rawBytes;
}

/** Room a frame needs in the buffer it is sealed into: its plaintext size, uncompressed, plus the envelope. */
export function frameRoom(count: number, rawBytes: number): number {
  return framePlainSize(count, rawBytes) + ENVELOPE_OVERHEAD;
}

/**
 * Seals `members` as one frame into `target` at `at` (frameRoom bytes free there); returns its length.
 * Level 0 stores the plaintext uncompressed.
 */
export function sealFrame(dataKey: Uint8Array, members: readonly FrameMember[], level: number, target: Uint8Array, at: number): number {
  let raw = 0;
  for (const m of members) raw += m.data.length;
  const size = framePlainSize(members.length, raw);
  // Chunks are copied in at 8-byte-aligned addresses: a copy out of shared memory (an image's direct
  // reads) is a relaxed atomic copy, word by word only where source and target are aligned alike, else
  // byte by byte (3.4 against 23 GB/s here; 5% of a full image backup's CPU). The member table is
  // 4 + 36·count bytes, so the plaintext starts 4 bytes into the scratch when count is even.
  const shift = -(COUNT_BYTES + members.length * MEMBER_BYTES) & 7;
  const plain = plainScratch.get(size + shift).subarray(shift, shift + size);
  const view = new DataView(plain.buffer, plain.byteOffset, size);
  view.setUint32(0, members.length, true);
  let t = COUNT_BYTES, d = COUNT_BYTES + members.length * MEMBER_BYTES;
  for (const m of members) {
    plain.set(m.id, t);
    view.setUint32(t + 32, m.data.length, true);
    plain.set(m.data, d);
    t += MEMBER_BYTES;
    d += m.data.length;
  }
  const body = plain.subarray(0, size);
  if (level > 0) {
    const packed = packedScratch.get(compressBound(size));
    const n = compressInto(body, level, packed);
    if (n < size) return sealInto(dataKey, FRAME_CONTEXT, packed.subarray(0, n), FLAG_ZSTD, target, at);
  }
  return sealInto(dataKey, FRAME_CONTEXT, body, 0, target, at);
}

/** A decrypted frame whose plaintext is not yet in place: `size` bytes once inflated. */
export interface SealedBody {
  body: Buffer;
  compressed: boolean;
  size: number;
}

/**
 * Opens a frame's envelope into `into` (envelope length − ENVELOPE_OVERHEAD bytes, a new buffer when
 * not given); `inflateInto` then puts its plaintext where the caller wants it.
 */
export function decryptFrame(dataKey: Uint8Array, envelope: Uint8Array, what: string, into?: Uint8Array): SealedBody {
  const target = into ?? Buffer.allocUnsafe(Math.max(0, envelope.length - ENVELOPE_OVERHEAD));
  const { length, flags } = openInto(dataKey, FRAME_CONTEXT, envelope, what, target);
  const body = Buffer.from(target.buffer, target.byteOffset, length);
  const compressed = (flags & FLAG_ZSTD) !== 0;
  const size = compressed ? frameContentSize(body) : body.length;
  if (size === undefined) throw new CairnError('corrupt', `${what} does not declare its size`);
  if (size > MAX_FRAME_BYTES) throw new CairnError('corrupt', `${what} declares ${size} bytes, more than a frame may hold`);
  return { body, compressed, size };
}

export function inflateInto(sealed: SealedBody, out: Uint8Array, at: number, what: string): void {
  const target = out.subarray(at, at + sealed.size);
  if (!sealed.compressed) target.set(sealed.body);
  else if (decompressInto(sealed.body, target, what) !== sealed.size) throw new CairnError('corrupt', `${what} is shorter than it declares`);
}

/** Opens a frame into a buffer of its own (metadata reads); the plaintext is checked by frameMembers. */
export function openFrame(dataKey: Uint8Array, envelope: Uint8Array, what: string): Buffer {
  const sealed = decryptFrame(dataKey, envelope, what);
  if (!sealed.compressed) return sealed.body;
  const out = Buffer.allocUnsafeSlow(sealed.size);
  inflateInto(sealed, out, 0, what);
  return out;
}

/** Where a chunk lies in a frame's plaintext. */
export interface MemberSpan {
  id: Buffer;
  offset: number;
  length: number;
}

/** The members of a frame's plaintext, checked to tile it exactly. `id`s are views into `plain`. */
export function frameMembers(plain: Uint8Array, what: string): MemberSpan[] {
  const buf = Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  if (buf.length < COUNT_BYTES) throw new CairnError('corrupt', `${what} is truncated`);
  const count = buf.readUInt32LE(0);
  let offset = COUNT_BYTES + count * MEMBER_BYTES;
  if (count === 0 || offset > buf.length) throw new CairnError('corrupt', `${what} has a damaged member table`);
  const members: MemberSpan[] = [];
  for (let t = COUNT_BYTES; t < COUNT_BYTES + count * MEMBER_BYTES; t += MEMBER_BYTES) {
    const length = buf.readUInt32LE(t + 32);
    members.push({ id: buf.subarray(t, t + 32), offset, length });
    offset += length;
  }
  if (offset !== buf.length) throw new CairnError('corrupt', `${what}: its members hold ${offset} bytes, the frame ${buf.length}`);
  return members;
}

/** Finds members by id, the first of equal ids: a scan for the usual handful, a map for frames of many small files. */
export function memberFinder(members: readonly MemberSpan[]): (id: Uint8Array) => MemberSpan | undefined {
  if (members.length <= 32) return (id) => members.find((m) => m.id.equals(id));
  const byId = new Map<string, MemberSpan>();
  for (const m of members) {
    const key = m.id.toString('latin1');
    if (!byId.has(key)) byId.set(key, m);
  }
  return (id) => byId.get(Buffer.from(id.buffer, id.byteOffset, 32).toString('latin1'));
}

/** A chunk that the frame its index names does not hold. */
export function notInFrame(id: Uint8Array): CairnError {
  return new CairnError('corrupt', `chunk ${Buffer.from(id).toString('hex')} is not in the frame its index names (damaged, or a frame swapped into its place)`);
}

/** A chunk's share of its frame's bytes, by raw size: what it accounts for in the bank. */
export function shareOf(frameLength: number, rawLength: number, frameRawLength: number): number {
  return frameRawLength === 0 ? 0 : Math.round((frameLength * rawLength) / frameRawLength);
}

/** Per thread (module state is per worker): sealing assembles and compresses a frame in these, then copies out. */
const plainScratch = new Scratch(), packedScratch = new Scratch();
