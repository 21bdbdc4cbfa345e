/**
 * Bank keys and key slots.
 *
 * A bank has one random master secret: a 32-byte data key (AES-256-GCM of every object) and a
 * 32-byte id key (HMAC-SHA256 chunk ids, and the seed of the content-defined chunker's gear table).
 * The secret is stored only wrapped, in key slots of the bank descriptor: each slot seals it under a
 * key-encryption key derived from a passphrase (scrypt) or from a key file (HKDF-SHA256).
 * Changing a passphrase replaces one slot; no data object is rewritten.
 */
import { createHmac, hkdfSync, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { CairnError } from '../core/errors.ts';
import { contextOf, open, seal } from './envelope.ts';

const scrypt = promisify(scryptCb) as (pw: Buffer, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

export interface BankKeys {
  dataKey: Buffer;
  idKey: Buffer;
}

export interface ScryptParams { N: number; r: number; p: number }
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 16, r: 8, p: 1 };

export type KeySlot =
  | { id: string; kind: 'passphrase'; kdf: { name: 'scrypt'; salt: string } & ScryptParams; wrapped: string; createdAt: string }
  | { id: string; kind: 'key-file'; kdf: { name: 'hkdf-sha256'; salt: string }; wrapped: string; createdAt: string };

/** What unlocks a bank: a passphrase, or the bytes of a key file. */
export type Secret = { passphrase: string } | { keyFile: Uint8Array };

export function generateKeys(): BankKeys {
  return { dataKey: randomBytes(32), idKey: randomBytes(32) };
}

export function generateKeyFile(): Buffer {
  return Buffer.from(randomBytes(32).toString('base64') + '\n');
}

/** The key that seeds the gear table of content-defined chunking: HMAC-SHA256(idKey, "cairn-gear-v1"). */
export function gearKey(keys: BankKeys): Buffer {
  return createHmac('sha256', keys.idKey).update('cairn-gear-v1').digest();
}

function slotContext(bankId: string, slotId: string): Buffer {
  return contextOf(`cairn:key-slot:${bankId}:${slotId}`);
}

async function deriveKek(slot: Pick<KeySlot, 'kind' | 'kdf'>, secret: Secret): Promise<Buffer> {
  const salt = Buffer.from(slot.kdf.salt, 'base64');
  if (slot.kind === 'passphrase') {
    if (!('passphrase' in secret)) throw new Error('unreachable: passphrase slot with a key file');
    const { N, r, p } = slot.kdf as ScryptParams;
    return scrypt(Buffer.from(secret.passphrase.normalize('NFC'), 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
  }
  if (!('keyFile' in secret)) throw new Error('unreachable: key-file slot with a passphrase');
  return Buffer.from(hkdfSync('sha256', normalizeKeyFile(secret.keyFile), salt, 'cairn key-file v1', 32));
}

/** Key files hold base64 text (as `cairn bank init --key-file` writes them) or raw bytes; surrounding whitespace is ignored. */
function normalizeKeyFile(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  if (bytes.length < 16) throw new CairnError('bad-input', 'the key file is too short: it must hold at least 16 random bytes');
  return Buffer.from(bytes);
}

export async function createSlot(bankId: string, keys: BankKeys, secret: Secret, scryptParams = DEFAULT_SCRYPT): Promise<KeySlot> {
  const id = randomBytes(8).toString('hex');
  const salt = randomBytes(32).toString('base64');
  const createdAt = new Date().toISOString();
  const head = 'passphrase' in secret
    ? { id, kind: 'passphrase' as const, kdf: { name: 'scrypt' as const, salt, ...scryptParams }, createdAt }
    : { id, kind: 'key-file' as const, kdf: { name: 'hkdf-sha256' as const, salt }, createdAt };
  if ('passphrase' in secret && secret.passphrase.length === 0) throw new CairnError('bad-input', 'the passphrase is empty; choose a non-empty passphrase');
  const kek = await deriveKek(head, secret);
  const wrapped = seal(kek, slotContext(bankId, id), Buffer.concat([keys.dataKey, keys.idKey])).toString('base64');
  return { ...head, wrapped };
}

/** Tries the slots of the secret's kind; returns the keys and the slot that opened. */
export async function unlock(bankId: string, slots: KeySlot[], secret: Secret): Promise<{ keys: BankKeys; slot: KeySlot }> {
  const kind = 'passphrase' in secret ? 'passphrase' : 'key-file';
  const candidates = slots.filter((s) => s.kind === kind);
  if (candidates.length === 0) {
    throw new CairnError('wrong-key', `this bank has no ${kind} key slot; unlock it with ${kind === 'passphrase' ? '--key-file' : 'a passphrase'} instead`);
  }
  for (const slot of candidates) {
    const kek = await deriveKek(slot, secret);
    let secretBytes: Buffer;
    try {
      secretBytes = open(kek, slotContext(bankId, slot.id), Buffer.from(slot.wrapped, 'base64'), 'key slot').plaintext;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'corrupt') continue; // not this slot's secret: try the next one
      throw err;
    }
    if (secretBytes.length !== 64) throw new CairnError('corrupt', `key slot ${slot.id} holds ${secretBytes.length} bytes, expected 64`);
    return { keys: { dataKey: secretBytes.subarray(0, 32), idKey: secretBytes.subarray(32, 64) }, slot };
  }
  throw new CairnError('wrong-key', kind === 'passphrase'
    ? 'wrong passphrase: no key slot of this bank opens with it (check CAIRN_PASSPHRASE or --passphrase-file)'
    : 'wrong key file: no key slot of this bank opens with it');
}

export function sameKeys(a: BankKeys, b: BankKeys): boolean {
  return timingSafeEqual(a.dataKey, b.dataKey) && timingSafeEqual(a.idKey, b.idKey);
}
