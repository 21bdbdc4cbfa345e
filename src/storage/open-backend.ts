/**
 * Bank locations: the one place a user-written location turns into a StorageBackend.
 *
 * Accepted forms: a plain path (relative to the working directory), file:///absolute/path, and
 * s3://bucket/prefix. Everything S3 needs beyond bucket and prefix (endpoint, region, credentials,
 * path style) comes from the caller, who resolves it from flags or the environment; credentials
 * in the location itself are refused, so a location can be printed and logged safely.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../core/errors.ts';
import type { StorageBackend } from '../core/storage-backend.ts';
import { LocalBackend } from './local/local-backend.ts';
import { RetryBackend, type RetryOptions } from './retry-backend.ts';
import type { S3BackendConfig } from './s3/s3-backend.ts';

export type S3Options = Omit<S3BackendConfig, 'bucket' | 'prefix'>;

export type BankLocation =
  | { kind: 'local'; path: string }
  | { kind: 's3'; config: S3BackendConfig };

const FORMS = 'use a path (/srv/bank), file:///srv/bank or s3://bucket/prefix';
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a bank location. Throws CairnError 'bad-input' for an unsupported scheme or a malformed
 * location; the message never repeats anything that could be a credential.
 * @example parseBankLocation('s3://backups/cairn', { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true })
 */
export function parseBankLocation(spec: string, s3Options: S3Options = {}): BankLocation {
  if (spec.trim() === '') throw new CairnError('bad-input', `the bank location is empty; ${FORMS}`);
  // Two or more letters, so that a Windows drive letter (C:) is not taken for a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: resolve(spec) };
  if (scheme === 'file') return { kind: 'local', path: parseFileUrl(spec) };
  if (scheme === 's3') return { kind: 's3', config: { ...s3Options, ...parseS3Url(spec) } };
  throw new CairnError('bad-input', `unsupported bank location scheme '${scheme}:'; ${FORMS}`);
}

/**
 * Opens the backend for a parsed location; S3 is wrapped in RetryBackend, local disks are not.
 * The S3 client is loaded only for S3 locations: it adds ~150 ms to every start.
 */
export async function openBackend(location: BankLocation, options: { retry?: RetryOptions } = {}): Promise<StorageBackend> {
  if (location.kind === 'local') return new LocalBackend(location.path);
  const { S3Backend } = await import('./s3/s3-backend.ts');
  return new RetryBackend(new S3Backend(location.config), options.retry);
}

function parseFileUrl(spec: string): string {
  try {
    if (!spec.startsWith('file:///')) throw new Error('not absolute');
    return fileURLToPath(spec);
  } catch (err) {
    throw new CairnError('bad-input', `invalid file location '${spec}': write file:///absolute/path (three slashes, no host)`, { cause: err });
  }
}

function parseS3Url(spec: string): { bucket: string; prefix: string } {
  if (!spec.startsWith('s3://')) throw new CairnError('bad-input', `invalid S3 location: write s3://bucket/prefix`);
  const rest = spec.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (bucket.includes('@') || bucket.includes(':')) {
    throw new CairnError('bad-input', 'an S3 location must not contain credentials or a port; write s3://bucket/prefix and pass the endpoint and credentials separately');
  }
  if (!BUCKET.test(bucket)) {
    throw new CairnError('bad-input', `invalid S3 bucket name '${bucket}': 3 to 63 lowercase letters, digits, dots and hyphens; write s3://bucket/prefix`);
  }
  if (/[?#]/.test(rest)) throw new CairnError('bad-input', `an S3 location takes no query or fragment; write s3://bucket/prefix`);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  return { bucket, prefix };
}
