/**
 * Numbers of the NBD protocol (the NBD project's doc/proto.md), as far as a reading client needs them:
 * the fixed newstyle handshake, options, structured replies and block status.
 * All integers on the wire are big-endian.
 */

export const NBDMAGIC = 0x4e42444d41474943n;
/** "IHAVEOPT": newstyle servers send it after NBDMAGIC; clients start every option with it. */
export const IHAVEOPT = 0x49484156454f5054n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

// Handshake flags (server) and client flags.
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;

export const OPT_ABORT = 2;
export const OPT_GO = 7;
export const OPT_STRUCTURED_REPLY = 8;
export const OPT_SET_META_CONTEXT = 10;

export const REP_ACK = 1;
export const REP_INFO = 3;
export const REP_META_CONTEXT = 4;
const REP_ERROR_BIT = 0x8000_0000;

export const INFO_EXPORT = 0;
export const INFO_BLOCK_SIZE = 3;

// Transmission flags of an export.
export const TFLAG_READ_ONLY = 1 << 1;
export const TFLAG_SEND_FLUSH = 1 << 2;

export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_BLOCK_STATUS = 7;

export const REPLY_FLAG_DONE = 1 << 0;
export const REPLY_TYPE_NONE = 0;
export const REPLY_TYPE_OFFSET_DATA = 1;
export const REPLY_TYPE_OFFSET_HOLE = 2;
export const REPLY_TYPE_BLOCK_STATUS = 5;
const REPLY_TYPE_ERROR_BIT = 1 << 15;

/** base:allocation extent flags. */
export const STATE_HOLE = 1 << 0;
export const STATE_ZERO = 1 << 1;

export const isReplyError = (type: number): boolean => (type & REP_ERROR_BIT) !== 0;
export const isChunkError = (type: number): boolean => (type & REPLY_TYPE_ERROR_BIT) !== 0;

const OPTION_ERRORS: Record<number, string> = {
  1: 'the server does not support it',
  2: 'the server refuses it by policy',
  3: 'the server finds the request invalid',
  4: 'the server cannot do it on its platform',
  5: 'the server requires TLS',
  6: 'no such export',
  7: 'the server is shutting down',
  8: 'the server requires block size negotiation',
  9: 'the request is too big',
};

/** Text for an option reply error type. */
export function optionErrorText(type: number): string {
  return OPTION_ERRORS[type & ~REP_ERROR_BIT] ?? `error ${type & ~REP_ERROR_BIT}`;
}

const ERRNO: Record<number, string> = {
  1: 'EPERM (operation not permitted)',
  5: 'EIO (input/output error)',
  12: 'ENOMEM (out of memory)',
  22: 'EINVAL (invalid argument)',
  28: 'ENOSPC (no space left)',
  75: 'EOVERFLOW (value too large)',
  95: 'ENOTSUP (not supported)',
  108: 'ESHUTDOWN (server shutting down)',
};

/** Text for an NBD error number in a reply. */
export function errnoText(errno: number): string {
  return ERRNO[errno] ?? `error ${errno}`;
}

/** An option request: IHAVEOPT, option, length, data. */
export function encodeOption(option: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(IHAVEOPT, 0);
  head.writeUInt32BE(option, 8);
  head.writeUInt32BE(data.length, 12);
  return Buffer.concat([head, data]);
}

/** A transmission request header; a write's data follows it. */
export function encodeRequest(flags: number, type: number, cookie: bigint, offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(28);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(cookie, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  return b;
}

/** A string as a 32-bit length and its UTF-8 bytes. */
export function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([head, bytes]);
}
