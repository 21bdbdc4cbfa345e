/**
 * Frames the server's replies as bytes arrive, in whatever pieces the socket delivers them: read
 * data goes straight from the socket's buffer into the request's target, so a backup reading
 * gigabytes allocates nothing per piece (a buffer per socket read was most of the main thread's time
 * and of the garbage collector's). Headers and small payloads are gathered into their own buffers.
 */
import {
  REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, REPLY_TYPE_NONE, REPLY_TYPE_OFFSET_DATA, REPLY_TYPE_OFFSET_HOLE,
  SIMPLE_REPLY_MAGIC, STRUCTURED_REPLY_MAGIC, errnoText, isChunkError,
} from './protocol.ts';

export type Kind = 'read' | 'write' | 'flush' | 'status';

/** A request in flight, as the reader fills it in. */
export interface Pending {
  kind: Kind;
  /** For block status: the meta context whose extents are wanted (a reply holds one chunk per negotiated context). */
  contextId: number;
  offset: number;
  length: number;
  target: Uint8Array;
  covered: number;
  extents: { offset: number; length: number; flags: number }[];
  error: string | undefined;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The part of a reply awaited now: `remaining` bytes to put at `into[pos]` (null: to drop), then `then`. */
interface Part {
  into: Uint8Array | null;
  pos: number;
  remaining: number;
  then: () => void;
}

export class ReplyReader {
  readonly #lookup: (cookie: number) => Pending | undefined;
  readonly #done: (cookie: number, p: Pending) => void;
  readonly #violation: (what: string) => Error;
  readonly #head = Buffer.alloc(20);
  #headFill = 0;
  #headSize = 4;
  #part: Part | undefined;

  /** `done` is called when a reply is complete; `violation` makes the error for a broken protocol (thrown by consume). */
  constructor(lookup: (cookie: number) => Pending | undefined, done: (cookie: number, p: Pending) => void, violation: (what: string) => Error) {
    this.#lookup = lookup;
    this.#done = done;
    this.#violation = violation;
  }

  /** Takes buf[at, end); the caller may reuse `buf` as soon as this returns. */
  consume(buf: Uint8Array, at: number, end: number): void {
    while (at < end) {
      const part = this.#part;
      if (!part) {
        at = this.#header(buf, at, end);
        continue;
      }
      const n = Math.min(part.remaining, end - at);
      if (part.into) part.into.set(buf.subarray(at, at + n), part.pos);
      part.pos += n;
      part.remaining -= n;
      at += n;
      if (part.remaining === 0) {
        this.#part = undefined;
        part.then();
      }
    }
  }

  #header(buf: Uint8Array, at: number, end: number): number {
    const n = Math.min(this.#headSize - this.#headFill, end - at);
    this.#head.set(buf.subarray(at, at + n), this.#headFill);
    this.#headFill += n;
    if (this.#headFill < this.#headSize) return at + n;
    if (this.#headSize === 4) {
      const magic = this.#head.readUInt32BE(0);
      if (magic === STRUCTURED_REPLY_MAGIC) this.#headSize = 20;
      else if (magic === SIMPLE_REPLY_MAGIC) this.#headSize = 16;
      else throw this.#violation(`a reply with the unknown magic 0x${magic.toString(16)}`);
      return at + n;
    }
    const h = this.#head;
    this.#headFill = 0;
    this.#headSize = 4;
    const cookie = Number(h.readBigUInt64BE(8));
    const p = this.#lookup(cookie);
    if (!p) throw this.#violation(`a reply to request ${cookie}, which is not in flight`);
    if (h.readUInt32BE(0) === SIMPLE_REPLY_MAGIC) this.#simple(cookie, p, h.readUInt32BE(4));
    else this.#structured(cookie, p, h.readUInt16BE(4), h.readUInt16BE(6), h.readUInt32BE(16));
    return at + n;
  }

  /** A simple reply: an error, or success (a read's data follows: only without structured replies). */
  #simple(cookie: number, p: Pending, errno: number): void {
    if (errno !== 0) {
      p.error = errnoText(errno);
      this.#done(cookie, p);
    } else if (p.kind === 'read') {
      this.#expect(p.target, 0, p.length, () => { p.covered = p.length; this.#done(cookie, p); });
    } else {
      this.#done(cookie, p);
    }
  }

  #structured(cookie: number, p: Pending, flags: number, type: number, length: number): void {
    const next = (): void => { if (flags & REPLY_FLAG_DONE) this.#done(cookie, p); };
    if (type === REPLY_TYPE_NONE) {
      this.#expect(null, 0, length, next);
    } else if (isChunkError(type)) {
      this.#gather(length, (body) => {
        const errno = body.readUInt32BE(0), n = body.readUInt16BE(4);
        const message = body.toString('utf8', 6, 6 + n);
        p.error = `${errnoText(errno)}${message ? `: ${message}` : ''}`;
        next();
      });
    } else if (p.kind === 'read' && type === REPLY_TYPE_OFFSET_DATA) {
      this.#gather(8, (head) => {
        const at = this.#within(p, Number(head.readBigUInt64BE(0)) - p.offset, length - 8);
        this.#expect(p.target, at, length - 8, () => { p.covered += length - 8; next(); });
      });
    } else if (p.kind === 'read' && type === REPLY_TYPE_OFFSET_HOLE) {
      this.#gather(length, (body) => {
        const n = body.readUInt32BE(8);
        const at = this.#within(p, Number(body.readBigUInt64BE(0)) - p.offset, n);
        p.target.fill(0, at, at + n);
        p.covered += n;
        next();
      });
    } else if (p.kind === 'status' && type === REPLY_TYPE_BLOCK_STATUS) {
      this.#gather(length, (body) => {
        if (body.readUInt32BE(0) === p.contextId) this.#extents(p, body); // else another negotiated context's answer
        next();
      });
    } else {
      throw this.#violation(`a reply chunk of type ${type} to a ${p.kind} request`);
    }
  }

  #extents(p: Pending, body: Buffer): void {
    let at = p.offset;
    for (let i = 4; i + 8 <= body.length; i += 8) {
      const length = body.readUInt32BE(i);
      if (length === 0) throw this.#violation('a block status extent of length 0');
      p.extents.push({ offset: at, length, flags: body.readUInt32BE(i + 4) });
      at += length;
    }
    if (p.extents.length === 0) throw this.#violation('a block status reply without extents');
  }

  #within(p: Pending, at: number, n: number): number {
    if (at < 0 || at + n > p.length) throw this.#violation(`data outside the range read (${n} bytes at ${p.offset + at})`);
    return at;
  }

  #expect(into: Uint8Array | null, pos: number, remaining: number, then: () => void): void {
    if (remaining === 0) then();
    else this.#part = { into, pos, remaining, then };
  }

  /** Gathers `length` bytes into a buffer of their own (headers and small payloads). */
  #gather(length: number, then: (body: Buffer) => void): void {
    const body = Buffer.allocUnsafe(length);
    this.#expect(body, 0, length, () => then(body));
  }
}
