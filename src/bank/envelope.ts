/**
 * The encrypted envelope shared by chunks and every other encrypted object of the bank.
 *
 *   envelope := version:u8 (=1) | flags:u8 | nonce:12 | ciphertext | tag:16
 *   flags bit 0: the plaintext was zstd-compressed before encryption
 *
 * AES-256-GCM; the additional data is version | flags | context, so neither the header
 * nor the object an envelope belongs to can be swapped without the tag failing.
 * For chunks the context is the 32-byte chunk id; for other objects it names the object
 * ("cairn:manifest:<id>", see docs/bank-format.md).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { CairnError } from '../core/errors.ts';
import { freeNow } from '../core/free-now.ts';
import { secretKey } from './secret-key.ts';
import { compressBound, compressInto, decompress } from './zstd.ts';

export const ENVELOPE_VERSION = 1;
export const FLAG_ZSTD = 1;
export const ENVELOPE_OVERHEAD = 2 + 12 + 16;
const KNOWN_FLAGS = FLAG_ZSTD;

export function seal(key: Uint8Array, context: Uint8Array, plaintext: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + plaintext.length);
  sealInto(key, context, plaintext, flags, out, 0);
  return out;
}

/** Seals into `target` at `at` (which needs plaintext.length + ENVELOPE_OVERHEAD bytes); returns the envelope length. */
export function sealInto(key: Uint8Array, context: Uint8Array, plaintext: Uint8Array, flags: number, target: Uint8Array, at: number): number {
  const out = Buffer.from(target.buffer, target.byteOffset + at, ENVELOPE_OVERHEAD + plaintext.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = flags;
  randomFillSync(out, 2, 12);
  const cipher = createCipheriv('aes-256-gcm', secretKey(key), out.subarray(2, 14));
  cipher.setAAD(Buffer.concat([out.subarray(0, 2), context]));
  const n = 14 + pieceWise(cipher, plaintext, out, 14);
  cipher.final(); // GCM is a stream mode: nothing is left to output
  cipher.getAuthTag().copy(out, n);
  return n + 16;
}

/** Returns the plaintext as it was sealed (still compressed when flags say so) and the flags. */
export function open(key: Uint8Array, context: Uint8Array, envelope: Uint8Array, what: string): { plaintext: Buffer; flags: number } {
  const plaintext = Buffer.allocUnsafe(Math.max(0, envelope.length - ENVELOPE_OVERHEAD));
  const { flags } = openInto(key, context, envelope, what, plaintext);
  return { plaintext, flags };
}

/**
 * Opens an envelope into `target` (at least envelope.length − ENVELOPE_OVERHEAD bytes); returns the
 * plaintext's length and the flags. On failure `target` holds garbage and nothing may use it.
 */
export function openInto(key: Uint8Array, context: Uint8Array, envelope: Uint8Array, what: string, target: Uint8Array): { length: number; flags: number } {
  if (envelope.length < ENVELOPE_OVERHEAD) throw new CairnError('corrupt', `${what} is truncated (${envelope.length} bytes)`);
  const version = envelope[0]!, flags = envelope[1]!;
  if (version !== ENVELOPE_VERSION) {
    throw new CairnError(version > ENVELOPE_VERSION ? 'format-too-new' : 'corrupt',
      `${what} has envelope version ${version}; this Cairn reads version ${ENVELOPE_VERSION}` +
      (version > ENVELOPE_VERSION ? ': upgrade Cairn to read it' : ''));
  }
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new CairnError('corrupt', `${what} has unknown flags ${flags}`);
  const decipher = createDecipheriv('aes-256-gcm', secretKey(key), envelope.subarray(2, 14));
  decipher.setAAD(Buffer.concat([envelope.subarray(0, 2), context]));
  decipher.setAuthTag(envelope.subarray(envelope.length - 16));
  try {
    const length = pieceWise(decipher, envelope.subarray(14, envelope.length - 16), target, 0);
    decipher.final(); // checks the tag; GCM outputs nothing more
    return { length, flags };
  } catch (cause) {
    throw new CairnError('corrupt', `${what} failed its integrity check (damaged, or not written with this bank's key)`, { cause });
  }
}

/**
 * Runs a stream cipher over `input` into `target` at `at`, a piece at a time, and frees each piece's
 * output at once (Node's ciphers return a new buffer per call). Pieces of a megabyte: measured on
 * sealing, 64 KiB pieces cost 40% more CPU and 100 MB more RSS over two threads (freed small buffers
 * pile up in malloc's per-thread arenas), while larger ones gain nothing. Returns the length.
 */
function pieceWise(cipher: { update(data: Uint8Array): Buffer }, input: Uint8Array, target: Uint8Array, at: number): number {
  let n = 0;
  for (let i = 0; i < input.length; i += PIECE) {
    const piece = cipher.update(input.subarray(i, i + PIECE));
    target.set(piece, at + n);
    n += piece.length;
    freeNow(piece);
  }
  return n;
}
const PIECE = 1 << 20;

/** zstd level 3 for metadata objects: small, written rarely, read often. */
export function sealCompressed(key: Uint8Array, context: Uint8Array, plaintext: Uint8Array): Buffer {
  const packed = Buffer.allocUnsafe(compressBound(plaintext.length));
  const n = compressInto(plaintext, 3, packed);
  return n < plaintext.length ? seal(key, context, packed.subarray(0, n), FLAG_ZSTD) : seal(key, context, plaintext, 0);
}

/** Metadata objects (manifests, index objects, GC records) stay far below this once decompressed. */
const MAX_METADATA_BYTES = 1 << 30;

export function openDecompressed(key: Uint8Array, context: Uint8Array, envelope: Uint8Array, what: string): Buffer {
  const { plaintext, flags } = open(key, context, envelope, what);
  if (!(flags & FLAG_ZSTD)) return plaintext;
  const inflated = decompress(plaintext, MAX_METADATA_BYTES, what);
  freeNow(plaintext); // megabytes per index object: opening a large bank would otherwise pile them up until a GC
  return inflated;
}

export function contextOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
