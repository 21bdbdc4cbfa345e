/**
 * Secrets the catalog must keep (bank passphrases) are sealed with the server's master key:
 * AES-256-GCM, bound to what they belong to (the AAD), so a sealed secret copied to another row
 * does not open. The master key lives outside the catalog: a catalog dump alone opens nothing.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CairnError } from '../core/errors.ts';

const VERSION = 'v1';

export class MasterKey {
  readonly #raw: Buffer;
  /** The sealing key, derived: the master key itself also opens the local bank as a key file. */
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new CairnError('bad-input', `the master key must be 32 bytes, not ${key.length}`);
    this.#raw = Buffer.from(key);
    this.#key = Buffer.from(hkdfSync('sha256', this.#raw, Buffer.alloc(0), 'cairn:catalog-secrets', 32));
  }

  /** The key as a key file opens a bank (the server's local bank has a slot for it). */
  bytes(): Buffer {
    return Buffer.from(this.#raw);
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new CairnError('corrupt', `a sealed secret of ${boundTo} is damaged`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new CairnError('wrong-key', `the secret of ${boundTo} does not open with this server's master key: every node must use the same (CAIRN_MASTER_KEY, or the data directory's master.key)`);
    }
  }
}
