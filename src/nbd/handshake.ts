/**
 * The fixed newstyle handshake of a reading client: structured replies, the meta contexts asked for,
 * then NBD_OPT_GO with the export's size and block sizes. Old style servers and servers that cannot
 * give what was asked get an error that names the server's answer.
 */
import type { Socket } from 'node:net';
import { CairnError } from '../core/errors.ts';
import type { Inbox } from './inbox.ts';
import {
  FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES, IHAVEOPT, INFO_BLOCK_SIZE, INFO_EXPORT, NBDMAGIC, OPTION_REPLY_MAGIC,
  OPT_GO, OPT_SET_META_CONTEXT, OPT_STRUCTURED_REPLY, REP_ACK, REP_INFO, REP_META_CONTEXT,
  encodeOption, isReplyError, lengthPrefixed, optionErrorText,
} from './protocol.ts';

export interface Negotiated {
  size: number;
  transmissionFlags: number;
  structuredReplies: boolean;
  /** Meta context name → the id the server gave it. */
  contexts: Map<string, number>;
  /** The largest read the server accepts (32 MiB when it does not say). */
  maxBlock: number;
}

interface OptionReply {
  type: number;
  data: Buffer;
}

export async function negotiate(socket: Socket, inbox: Inbox, what: string, exportName: string, metaContexts: readonly string[]): Promise<Negotiated> {
  const greeting = await inbox.read(18);
  if (greeting.readBigUInt64BE(0) !== NBDMAGIC) throw new CairnError('source', `${what} is not an NBD server (it did not greet with NBDMAGIC)`);
  if (greeting.readBigUInt64BE(8) !== IHAVEOPT) {
    throw new CairnError('unsupported', `${what} speaks the old style NBD handshake; Cairn needs fixed newstyle (qemu-nbd without --old-style, nbdkit, qemu-storage-daemon)`);
  }
  const serverFlags = greeting.readUInt16BE(16);
  if (!(serverFlags & FLAG_FIXED_NEWSTYLE)) throw new CairnError('unsupported', `${what} does not offer the fixed newstyle NBD handshake`);
  const clientFlags = Buffer.alloc(4);
  clientFlags.writeUInt32BE(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES), 0);
  socket.write(clientFlags);

  const ask = async (option: number, data?: Buffer): Promise<OptionReply[]> => {
    socket.write(encodeOption(option, data));
    const replies: OptionReply[] = [];
    for (;;) {
      const head = await inbox.read(20);
      if (head.readBigUInt64BE(0) !== OPTION_REPLY_MAGIC) throw new CairnError('source', `${what} sent a malformed option reply`);
      const type = head.readUInt32BE(12), length = head.readUInt32BE(16);
      if (length > 1 << 20) throw new CairnError('source', `${what} sent an option reply of ${length} bytes`);
      const reply = { type, data: length > 0 ? await inbox.read(length) : Buffer.alloc(0) };
      if (isReplyError(type)) {
        const detail = reply.data.length > 0 ? `: ${reply.data.toString('utf8')}` : '';
        throw Object.assign(new Error(optionErrorText(type) + detail), { nbdReply: type });
      }
      if (type === REP_ACK) return replies;
      replies.push(reply);
    }
  };

  let structuredReplies = true;
  try {
    await ask(OPT_STRUCTURED_REPLY);
  } catch (err) {
    if (!hasReply(err) || metaContexts.length > 0) throw optionFailed(err, what, 'structured replies (needed for block status)');
    structuredReplies = false;
  }

  const contexts = new Map<string, number>();
  if (metaContexts.length > 0) {
    const queries = Buffer.alloc(4);
    queries.writeUInt32BE(metaContexts.length, 0);
    const data = Buffer.concat([lengthPrefixed(exportName), queries, ...metaContexts.map(lengthPrefixed)]);
    let replies: OptionReply[];
    try {
      replies = await ask(OPT_SET_META_CONTEXT, data);
    } catch (err) {
      throw optionFailed(err, what, `the meta contexts ${metaContexts.join(', ')} of export '${exportName}'`);
    }
    for (const r of replies) if (r.type === REP_META_CONTEXT) contexts.set(r.data.toString('utf8', 4), r.data.readUInt32BE(0));
    const missing = metaContexts.filter((name) => !contexts.has(name));
    if (missing.length > 0) {
      throw new CairnError('bad-input', `${what} export '${exportName}' has no meta context ${missing.join(', ')}` +
        (missing.some((m) => m.startsWith('qemu:dirty-bitmap:')) ? ' (is the bitmap there, and exported by the server, e.g. qemu-nbd -B NAME?)' : ''));
    }
  }

  const infos = Buffer.alloc(4);
  infos.writeUInt16BE(1, 0);
  infos.writeUInt16BE(INFO_BLOCK_SIZE, 2);
  let replies: OptionReply[];
  try {
    replies = await ask(OPT_GO, Buffer.concat([lengthPrefixed(exportName), infos]));
  } catch (err) {
    throw optionFailed(err, what, `export '${exportName}'`);
  }
  let size: number | undefined, transmissionFlags = 0, maxBlock = 32 << 20;
  for (const r of replies) {
    if (r.type !== REP_INFO || r.data.length < 2) continue;
    const info = r.data.readUInt16BE(0);
    if (info === INFO_EXPORT && r.data.length >= 12) {
      const big = r.data.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CairnError('unsupported', `${what} export '${exportName}' is larger than 8 PiB`);
      size = Number(big);
      transmissionFlags = r.data.readUInt16BE(10);
    } else if (info === INFO_BLOCK_SIZE && r.data.length >= 14) {
      maxBlock = Math.min(maxBlock, r.data.readUInt32BE(10));
    }
  }
  if (size === undefined) throw new CairnError('source', `${what} did not say the size of export '${exportName}'`);
  return { size, transmissionFlags, structuredReplies, contexts, maxBlock };
}

function hasReply(err: unknown): err is Error & { nbdReply: number } {
  return err instanceof Error && 'nbdReply' in err;
}

function optionFailed(err: unknown, what: string, asked: string): unknown {
  if (!hasReply(err)) return err;
  const code = (err.nbdReply & 0xff) === 6 ? 'not-found' : (err.nbdReply & 0xff) === 1 ? 'unsupported' : 'source';
  return new CairnError(code, `${what} refused ${asked}: ${err.message}`);
}
