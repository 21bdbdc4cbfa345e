/**
 * Chunks: id = HMAC-SHA256(idKey, plaintext); the plaintext is zstd-compressed when that makes it
 * smaller, then sealed in an envelope whose context is the id. Decoding re-computes the id from the
 * plaintext, so a chunk that decrypts but is not the data its id names is still caught.
 * Pure functions of their inputs: they run in worker threads.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { zstdCompressSync, zstdDecompressSync, constants as zlib } from 'node:zlib';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { ENVELOPE_OVERHEAD, FLAG_ZSTD, open, sealInto } from './envelope.ts';

export const CHUNK_ID_BYTES = 32;

export function chunkId(idKey: Uint8Array, plaintext: Uint8Array): Buffer {
  return createHmac('sha256', idKey).update(plaintext).digest();
}

export function encodeChunk(dataKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array, level: number): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + ENVELOPE_OVERHEAD);
  return out.subarray(0, encodeChunkInto(dataKey, id, plaintext, level, out, 0));
}

/** Encodes into `target` at `at`, which needs plaintext.length + ENVELOPE_OVERHEAD bytes; returns the envelope length. */
export function encodeChunkInto(dataKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array, level: number, target: Uint8Array, at: number): number {
  if (level > 0) {
    const packed = zstdCompressSync(plaintext, {
      params: { [zlib.ZSTD_c_compressionLevel]: level, [zlib.ZSTD_c_checksumFlag]: 0 },
      // The known size lets zstd size its window and tables to the chunk: far less to allocate per call.
      pledgedSrcSize: plaintext.length,
      // Room for the worst case (incompressible data): one output buffer, never a second one and a concat.
      chunkSize: compressBound(plaintext.length),
    });
    try {
      if (packed.length < plaintext.length) return sealInto(dataKey, id, packed, FLAG_ZSTD, target, at);
    } finally {
      freeNow(packed);
    }
  }
  return sealInto(dataKey, id, plaintext, 0, target, at);
}

export function decodeChunk(keys: { dataKey: Uint8Array; idKey: Uint8Array }, id: Uint8Array, envelope: Uint8Array): Buffer {
  const hex = Buffer.from(id).toString('hex');
  const { plaintext, flags } = open(keys.dataKey, id, envelope, `chunk ${hex}`);
  let data = plaintext;
  if (flags & FLAG_ZSTD) {
    try {
      data = zstdDecompressSync(plaintext, { chunkSize: decompressRoom(plaintext) });
    } catch (cause) {
      throw new CairnError('corrupt', `chunk ${hex} does not decompress`, { cause });
    } finally {
      freeNow(plaintext);
    }
  }
  if (!timingSafeEqual(chunkId(keys.idKey, data), id)) throw new CairnError('corrupt', `chunk ${hex} does not match its id`);
  return data;
}

/** ZSTD_compressBound: the largest output zstd can produce for `size` input bytes. */
function compressBound(size: number): number {
  return size + (size >>> 8) + (size < 128 << 10 ? ((128 << 10) - size) >>> 11 : 0);
}

/**
 * Output room for decompressing a frame: its content size (our frames record it) plus one byte, so
 * the whole plaintext lands in one buffer (zlib's default 16 KiB means four buffers and a concat;
 * a buffer filled exactly costs zlib a second one). Capped: the header is not authenticated data yet.
 */
function decompressRoom(frame: Uint8Array): number {
  const size = zstdContentSize(frame);
  return size === undefined ? 64 << 10 : Math.max(zlib.Z_MIN_CHUNK, Math.min(size, MAX_ROOM) + 1);
}
const MAX_ROOM = 16 << 20;

/** The Frame_Content_Size of a zstd frame header (RFC 8878 §3.1.1.1), or undefined when absent. */
function zstdContentSize(frame: Uint8Array): number | undefined {
  if (frame.length < 6 || frame[0] !== 0x28 || frame[1] !== 0xb5 || frame[2] !== 0x2f || frame[3] !== 0xfd) return undefined;
  const fhd = frame[4]!;
  const singleSegment = (fhd >> 5) & 1, fcsFlag = fhd >> 6;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  if (frame.length < at + fcsBytes) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset + at, fcsBytes);
  switch (fcsBytes) {
    case 1: return view.getUint8(0);
    case 2: return view.getUint16(0, true) + 256;
    case 4: return view.getUint32(0, true);
    default: return Number(view.getBigUint64(0, true));
  }
}

export function isAllZero(buf: Uint8Array): boolean {
  // Compare against a shared zero page: memcmp speed without allocating per call.
  for (let off = 0; off < buf.length; off += ZERO.length) {
    const n = Math.min(ZERO.length, buf.length - off);
    if (Buffer.compare(buf.subarray(off, off + n), n === ZERO.length ? ZERO : ZERO.subarray(0, n)) !== 0) return false;
  }
  return true;
}
const ZERO = Buffer.alloc(256 * 1024);
