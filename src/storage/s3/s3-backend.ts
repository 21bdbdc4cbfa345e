/**
 * StorageBackend over an S3 bucket (AWS or any S3-compatible server); keys live under `prefix/`.
 *
 * S3 already gives what the contract asks: a PUT is atomic and visible whole or not at all, and
 * DELETE of a missing key succeeds. The SDK's own retries are off (maxAttempts 1): RetryBackend is
 * the one retry policy, and this class only classifies errors as transient or permanent.
 * Credentials are handed to the SDK and appear in no message or location.
 */
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { CairnError } from '../../core/errors.ts';
import type { ObjectInfo, StorageBackend } from '../../core/storage-backend.ts';

export interface S3BackendConfig {
  bucket: string;
  /** Key prefix inside the bucket, with or without slashes around it; '' for the bucket root. */
  prefix: string;
  /** For S3-compatible servers, e.g. 'http://127.0.0.1:9000'; AWS when absent. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Address buckets as endpoint/bucket instead of bucket.endpoint (most self-hosted servers need it). */
  forcePathStyle?: boolean;
}

export class S3Backend implements StorageBackend {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #describeError: (err: unknown, action: string, key: string) => CairnError;

  constructor(config: S3BackendConfig) {
    const trimmed = config.prefix.replace(/^\/+|\/+$/g, '');
    this.#bucket = config.bucket;
    this.#prefix = trimmed === '' ? '' : `${trimmed}/`;
    this.location = `s3://${config.bucket}/${trimmed}`;
    const { accessKeyId, secretAccessKey, sessionToken } = config;
    this.#client = new S3Client({
      region: config.region ?? 'us-east-1',
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken } : undefined,
      maxAttempts: 1,
      // Checksums on every request corrupt uploads on some S3-compatible servers (see notes/stack.md).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const secrets = [accessKeyId, secretAccessKey, sessionToken].filter((s): s is string => !!s);
    const endpointHost = config.endpoint ? safeHost(config.endpoint) : 'AWS S3';
    this.#describeError = (err, action, key) => s3Error(err, action, `${this.location}${key === '' ? '' : `/${key}`}`, endpointHost, secrets);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.#send('write', key, () => this.#client.send(new PutObjectCommand({
      Bucket: this.#bucket, Key: this.#prefix + key, Body: data, ContentLength: data.byteLength,
    })));
  }

  async get(key: string): Promise<Uint8Array> {
    return this.#send('read', key, async () => {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new CairnError('bad-input', `invalid range: offset ${offset}, length ${length}; both must be non-negative integers`);
    }
    if (length === 0) {
      // No HTTP range can express zero bytes; still report a missing object.
      if (!(await this.head(key))) throw new CairnError('not-found', `${this.location}/${key} does not exist`);
      return new Uint8Array(0);
    }
    return this.#send('read', key, async () => {
      try {
        const out = await this.#client.send(new GetObjectCommand({
          Bucket: this.#bucket, Key: this.#prefix + key, Range: `bytes=${offset}-${offset + length - 1}`,
        }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      } catch (err) {
        // 416 comes only for an existing object (a missing one is 404): the range starts past its end.
        if (httpStatus(err) === 416) return new Uint8Array(0);
        throw err;
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified?.getTime() ?? 0 };
    } catch (err) {
      const e = this.#describeError(err, 'inspect', key);
      if (e.code === 'not-found') return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.#send('list', prefix, () => this.#client.send(new ListObjectsV2Command({
        Bucket: this.#bucket, Prefix: this.#prefix + prefix, ContinuationToken: token,
      })));
      for (const o of page.Contents ?? []) {
        const key = o.Key?.slice(this.#prefix.length) ?? '';
        if (key === '' || key.endsWith('/')) continue; // folder markers made by other tools are not objects
        yield { key, size: o.Size ?? 0, modifiedAt: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    await this.#send('delete', key, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key })));
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  async #send<T>(action: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.#describeError(err, action, key);
    }
  }
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestTimeout', 'RequestTimeTooSkewed']);

/**
 * The one classification of S3 failures. not-found: the key is missing (NoSuchBucket is not: it
 * is a permanent configuration error). transient: 5xx, throttling, and failures with no HTTP
 * response at all (network, timeouts). permanent: everything else, 403 with a hint on credentials.
 */
function s3Error(err: unknown, action: string, where: string, endpointHost: string, secrets: string[]): CairnError {
  const what = `${action} ${where}`;
  const e = (err ?? {}) as { name?: string; code?: string; message?: string };
  const name = e.name ?? 'Error';
  const status = httpStatus(err);
  const detail = redact(`${name}${e.message ? `: ${e.message}` : ''}`, secrets);
  if (name === 'NoSuchBucket') {
    return new CairnError('storage', `cannot ${what}: the bucket does not exist at ${endpointHost}; create it or fix the bank location`, { cause: err });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new CairnError('not-found', `${where} does not exist`, { cause: err });
  }
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new CairnError('storage', `cannot ${what}: access denied (${detail}); check the access key, secret and that they are allowed to read, write, list and delete in this bucket`, { cause: err });
  }
  if (name === 'CredentialsProviderError') {
    return new CairnError('storage', `cannot ${what}: no S3 credentials were found; pass an access key and secret`, { cause: err });
  }
  // No HTTP response at all: connection refused or reset, DNS, timeouts. Retrying may help.
  if (status === undefined) {
    return new CairnError('storage', `cannot ${what}: no response from ${endpointHost} (${detail}); check the endpoint and the network`, { cause: err, transient: true });
  }
  if ((status !== undefined && status >= 500) || status === 429 || THROTTLING.has(name)) {
    return new CairnError('storage', `cannot ${what}: the server is unavailable or throttling (${detail}); retry later`, { cause: err, transient: true });
  }
  return new CairnError('storage', `cannot ${what}: ${detail}`, { cause: err });
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((t, s) => t.replaceAll(s, '***'), text);
}

/** host[:port] of the endpoint, without any user:password@ part. */
function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'the configured endpoint';
  }
}
