/**
 * An NBD client over a Unix socket or TCP: pipelined NBD_CMD_READ and NBD_CMD_WRITE (any number in
 * flight, each answered in any order), NBD_CMD_FLUSH, and NBD_CMD_BLOCK_STATUS for the meta contexts
 * negotiated at connect (`base:allocation`, `qemu:dirty-bitmap:NAME`).
 *
 * Failure model: an error reply fails that request only; a broken connection or a reply that breaks
 * the protocol fails every request in flight and every later one, with the reason. Nothing retries:
 * the caller decides (a backup falls back or fails as a whole).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { CairnError } from '../core/errors.ts';
import type { Extent } from '../core/extent.ts';
import { negotiate, type Negotiated } from './handshake.ts';
import { Inbox } from './inbox.ts';
import { ReplyReader, type Kind, type Pending } from './reply-reader.ts';
import {
  CMD_BLOCK_STATUS, CMD_DISC, CMD_FLUSH, CMD_READ, CMD_WRITE, OPT_ABORT, TFLAG_READ_ONLY, TFLAG_SEND_FLUSH, encodeOption, encodeRequest,
} from './protocol.ts';

/** Where an NBD export is: a Unix socket path, or a TCP host and port; and the export's name. */
export type NbdTarget = ({ socket: string } | { host: string; port: number }) & { exportName: string };

/** A run of bytes with one status: for base:allocation STATE_HOLE/STATE_ZERO bits; for a dirty bitmap 1 = dirty. */
export interface NbdExtent {
  offset: number;
  length: number;
  flags: number;
}

export interface ConnectOptions {
  metaContexts?: string[];
  /** Connecting and the handshake must end within this time. */
  timeoutMs?: number;
}

const COMMANDS: Record<Kind, number> = { read: CMD_READ, write: CMD_WRITE, flush: CMD_FLUSH, status: CMD_BLOCK_STATUS };

export class NbdClient {
  readonly size: number;
  readonly readOnly: boolean;
  /** The largest single read request; larger reads are split. */
  readonly maxRead: number;
  readonly #socket: Socket;
  readonly #replies: ReplyReader;
  readonly #what: string;
  readonly #n: Negotiated;
  readonly #pending = new Map<number, Pending>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextCookie = 1;
  #broken: Error | undefined;
  #closing = false;

  private constructor(socket: Socket, what: string, n: Negotiated) {
    this.#socket = socket;
    this.#replies = new ReplyReader((cookie) => this.#pending.get(cookie), (cookie, p) => this.#finish(cookie, p), (w) => this.#violation(w));
    this.#what = what;
    this.#n = n;
    this.size = n.size;
    this.readOnly = (n.transmissionFlags & TFLAG_READ_ONLY) !== 0;
    this.maxRead = n.maxBlock;
  }

  static async connect(target: NbdTarget, options: ConnectOptions = {}): Promise<NbdClient> {
    const what = 'socket' in target ? `the NBD server at ${target.socket}` : `the NBD server at ${target.host}:${target.port}`;
    // Replies are read into one reused buffer (onread): the handshake copies what it needs, the
    // transmission phase moves read data straight into each request's target.
    const inbox = new Inbox();
    let deliver = (n: number, buf: Buffer): void => inbox.push(Buffer.from(buf.subarray(0, n)));
    const onread = { buffer: Buffer.allocUnsafe(256 << 10), callback: (n: number, buf: Uint8Array): boolean => { deliver(n, buf as Buffer); return true; } };
    const socket = 'socket' in target ? netConnect({ path: target.socket, onread }) : netConnect({ host: target.host, port: target.port, onread });
    socket.setNoDelay(true);
    socket.on('error', (err) => inbox.fail(err));
    socket.on('close', () => inbox.fail(new CairnError('source', `${what} closed the connection during the NBD handshake`)));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => inbox.fail(new CairnError('source', `${what} did not complete the NBD handshake within ${timeoutMs} ms`)), timeoutMs);
    try {
      const n = await negotiate(socket, inbox, what, target.exportName, options.metaContexts ?? []);
      const client = new NbdClient(socket, what, n);
      socket.removeAllListeners('error').removeAllListeners('close');
      deliver = (count, buf) => client.#receive(buf, count);
      socket.on('error', (err) => client.#fail(new CairnError('source', `${what} failed: ${err.message}`)));
      socket.on('close', () => client.#fail(new CairnError('source', `${what} closed the connection`)));
      if (inbox.length > 0) client.#receive(inbox.take(inbox.length), inbox.length);
      return client;
    } catch (err) {
      // A server that answered gets a polite goodbye (NBD_OPT_ABORT) instead of a torn connection.
      if (socket.writable && !socket.connecting) socket.end(encodeOption(OPT_ABORT));
      socket.destroy();
      if (err instanceof CairnError) throw err;
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'ENOENT' ? ' (no such socket: is the server running?)' : e.code === 'ECONNREFUSED' ? ' (is the server running?)' : '';
      throw new CairnError('source', `cannot connect to ${what}: ${e.message}${hint}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a meta context was negotiated. */
  hasContext(name: string): boolean {
    return this.#n.contexts.has(name);
  }

  /** Reads `length` bytes at `offset` into `target` at `at` (a new buffer if none), in requests of at most maxRead, all in flight at once. */
  async read(offset: number, length: number, target?: Uint8Array, at = 0): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new CairnError('bad-input', `cannot read ${length} bytes at ${offset} from ${this.#what}: the export has ${this.size} bytes`);
    }
    const out = target ?? new Uint8Array(length);
    const parts: Promise<void>[] = [];
    for (let done = 0; done < length; done += this.maxRead) {
      const n = Math.min(this.maxRead, length - done);
      parts.push(this.#request('read', offset + done, n, out.subarray(at + done, at + done + n)).then(() => undefined));
    }
    await Promise.all(parts);
    return out;
  }

  /** Writes `bytes` at `offset`, in requests of at most maxRead, all in flight at once; done when the server acknowledged them. */
  async write(offset: number, bytes: Uint8Array): Promise<void> {
    await this.send(offset, bytes).done;
  }

  /**
   * Writes without waiting for the server: `sent` settles once the bytes are handed to the kernel
   * (the caller may then reuse `bytes`), `done` once the server acknowledged them. flush() covers only
   * acknowledged writes: await `done` of every write first.
   */
  send(offset: number, bytes: Uint8Array): { sent: Promise<void>; done: Promise<void> } {
    if (this.readOnly) throw new CairnError('bad-input', `${this.#what} serves this export read-only`);
    if (offset < 0 || offset + bytes.length > this.size) {
      throw new CairnError('bad-input', `cannot write ${bytes.length} bytes at ${offset} to ${this.#what}: the export has ${this.size} bytes`);
    }
    const sent: Promise<void>[] = [], acked: Promise<unknown>[] = [];
    for (let done = 0; done < bytes.length; done += this.maxRead) {
      const piece = bytes.subarray(done, Math.min(bytes.length, done + this.maxRead));
      let onSent!: () => void;
      sent.push(new Promise<void>((resolve) => { onSent = resolve; }));
      acked.push(this.#request('write', offset + done, piece.length, piece, 0, onSent));
    }
    // A connection that breaks before the bytes leave fails `done`; `sent` then settles with it.
    const done = Promise.all(acked).then(() => undefined);
    return { sent: Promise.race([Promise.all(sent).then(() => undefined), done]), done };
  }

  /** Makes every acknowledged write durable (when the server supports flushing; else its writes are). */
  async flush(): Promise<void> {
    if (!(this.#n.transmissionFlags & TFLAG_SEND_FLUSH)) return;
    await this.#request('flush', 0, 0, new Uint8Array(0));
  }

  /**
   * Block status of `context` from `offset`: the extents of one reply, which may cover less than
   * `length` (servers answer in pieces) but at least one byte.
   */
  async blockStatus(context: string, offset: number, length: number): Promise<NbdExtent[]> {
    const id = this.#n.contexts.get(context);
    if (id === undefined) throw new CairnError('bad-input', `meta context ${context} was not negotiated with ${this.#what}`);
    if (offset < 0 || length <= 0 || offset + length > this.size) {
      throw new CairnError('bad-input', `cannot ask the status of ${length} bytes at ${offset} from ${this.#what}: the export has ${this.size} bytes`);
    }
    const pending = await this.#request('status', offset, Math.min(length, 0xffff_f000), new Uint8Array(0), id);
    return pending.extents;
  }

  /** Reads up to `length` bytes at `position` into the start of `buf`, fewer past the end; returns how many. */
  async readSome(buf: Uint8Array, length: number, position: number): Promise<number> {
    const n = Math.max(0, Math.min(length, this.size - position));
    await this.read(position, n, buf, 0);
    return n;
  }

  /** The ranges a dirty bitmap (negotiated as `qemu:dirty-bitmap:<bitmap>`) marks dirty: whole clusters. */
  async dirtyExtents(bitmap: string): Promise<Extent[]> {
    const out: Extent[] = [];
    for await (const e of this.extents(`qemu:dirty-bitmap:${bitmap}`)) if (e.flags & 1) out.push({ offset: e.offset, length: e.length });
    return out;
  }

  /** Every extent of `context` over [offset, offset+length), the last clipped to the range; adjacent ones with equal flags merged. */
  async *extents(context: string, offset = 0, length = this.size - offset): AsyncGenerator<NbdExtent> {
    const end = offset + length;
    let last: NbdExtent | undefined;
    for (let at = offset; at < end;) {
      const got = await this.blockStatus(context, at, end - at);
      for (const e of got) {
        const length = Math.min(e.length, end - at);
        if (last && last.flags === e.flags) last.length += length;
        else {
          if (last) yield last;
          last = { offset: at, length, flags: e.flags };
        }
        at += length;
        if (at >= end) break;
      }
    }
    if (last) yield last;
  }

  /** Waits for the requests in flight, says goodbye (NBD_CMD_DISC) and closes. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await Promise.allSettled(this.#inFlight);
    if (!this.#broken) this.#socket.end(encodeRequest(0, CMD_DISC, 0n, 0, 0));
    this.#socket.destroy();
  }

  #request(kind: Kind, offset: number, length: number, target: Uint8Array, contextId = 0, onSent?: () => void): Promise<Pending> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closing) return Promise.reject(new CairnError('source', `the connection to ${this.#what} is closed`));
    const cookie = this.#nextCookie++;
    const promise = new Promise<Pending>((resolve, reject) => {
      const pending: Pending = {
        kind, contextId, offset, length, target, covered: 0, extents: [], error: undefined, reject,
        resolve: () => resolve(pending),
      };
      this.#pending.set(cookie, pending);
      this.#socket.write(encodeRequest(0, COMMANDS[kind], BigInt(cookie), offset, length));
      if (kind === 'write') this.#socket.write(target, () => onSent?.());
    });
    this.#inFlight.add(promise);
    const settled = (): void => { this.#inFlight.delete(promise); };
    promise.then(settled, settled);
    return promise;
  }

  #receive(buf: Buffer, n: number): void {
    try {
      this.#replies.consume(buf, 0, n);
    } catch (err) {
      this.#fail(err instanceof CairnError ? err : new CairnError('source', `${this.#what}: ${(err as Error).message}`));
    }
  }

  #finish(cookie: number, p: Pending): void {
    this.#pending.delete(cookie);
    const what = p.kind === 'status' ? `the block status at ${p.offset}` : p.kind === 'flush' ? 'a flush' : `${p.kind === 'read' ? 'reading' : 'writing'} ${p.length} bytes at ${p.offset}`;
    if (p.error !== undefined) p.reject(new CairnError('source', `${this.#what} failed ${what}: ${p.error}`));
    else if (p.kind === 'read' && p.covered !== p.length) p.reject(this.#violation(`${p.covered} of ${p.length} bytes in a read reply`));
    else if (p.kind === 'status' && p.extents.length === 0) p.reject(this.#violation('no extents in a block status reply'));
    else p.resolve();
  }

  #violation(what: string): CairnError {
    return new CairnError('source', `${this.#what} broke the NBD protocol: ${what}`);
  }

  /** The connection is unusable: every request in flight and every later one fails with `err`. */
  #fail(err: CairnError): void {
    if (this.#broken) return;
    this.#broken = this.#closing ? new CairnError('source', `the connection to ${this.#what} is closed`) : err;
    this.#socket.destroy();
    for (const p of this.#pending.values()) p.reject(this.#broken);
    this.#pending.clear();
  }
}
