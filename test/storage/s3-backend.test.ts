import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isCairnError } from '../../src/core/errors.ts';
import { openBackend, parseBankLocation } from '../../src/storage/open-backend.ts';
import { S3Backend, type S3BackendConfig } from '../../src/storage/s3/s3-backend.ts';
import { startS3Server, type S3Server } from '../testkit/s3-server.ts';
import { storageConformance } from './conformance.ts';

let server: S3Server;
before(async () => { server = await startS3Server(); });
after(() => server.stop());

/** Each test gets its own prefix in the shared bucket, so tests never see each other's objects. */
function config(overrides: Partial<S3BackendConfig> = {}): S3BackendConfig {
  return {
    bucket: server.bucket, prefix: `t-${randomUUID()}`, endpoint: server.endpoint, forcePathStyle: true,
    accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, ...overrides,
  };
}

storageConformance('S3Backend', () => Promise.resolve(new S3Backend(config())));

describe('S3Backend specifics', () => {
  test('location is s3://bucket/prefix and objects live under the prefix', async (t) => {
    const c = config({ prefix: '/team/bank/' });
    const b = new S3Backend(c);
    t.after(() => b.close());
    assert.equal(b.location, `s3://${server.bucket}/team/bank`);
    await b.put('k', new Uint8Array([1]));
    const root = new S3Backend(config({ prefix: '' }));
    t.after(() => root.close());
    assert.equal((await root.head('team/bank/k'))?.size, 1);
  });

  test('wrong credentials: a permanent error that points at credentials and never shows them', async (t) => {
    const secret = `secret-${randomUUID()}`;
    const keyId = `KEY${randomUUID().slice(0, 8).toUpperCase()}`;
    const b = new S3Backend(config({ accessKeyId: keyId, secretAccessKey: secret }));
    t.after(() => b.close());
    await assert.rejects(b.get('k'), (err) => {
      assert.ok(isCairnError(err, 'storage') && !err.transient);
      assert.match(err.message, /credentials|access key/);
      assert.ok(!err.message.includes(secret) && !err.message.includes(keyId), err.message);
      return true;
    });
  });

  test('a missing bucket is a permanent storage error, not a missing object', async (t) => {
    const b = new S3Backend(config({ bucket: 'no-such-bucket' }));
    t.after(() => b.close());
    await assert.rejects(b.get('k'), (err) => isCairnError(err, 'storage') && !err.transient && /bucket does not exist/.test(err.message));
  });

  test('an unreachable endpoint is transient; openBackend retries it, then gives up saying so', async () => {
    const location = parseBankLocation('s3://cairn-test/x', { endpoint: 'http://127.0.0.1:1', forcePathStyle: true, accessKeyId: 'a', secretAccessKey: 'b' });
    const b = await openBackend(location, { retry: { attempts: 3, baseDelayMs: 1 } });
    try {
      assert.equal(b.location, 's3://cairn-test/x');
      await assert.rejects(b.head('k'), (err) => isCairnError(err, 'storage') && err.transient && /gave up after 3 attempts/.test(err.message));
    } finally {
      await b.close();
    }
  });

  test('openBackend on an s3:// location works end to end', async () => {
    const prefix = `t-${randomUUID()}`;
    const b = await openBackend(parseBankLocation(`s3://${server.bucket}/${prefix}/`, {
      endpoint: server.endpoint, forcePathStyle: true, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey,
    }));
    try {
      await b.put('a/b', new Uint8Array([1, 2, 3]));
      assert.deepEqual(await b.getRange('a/b', 1, 5), new Uint8Array([2, 3]));
    } finally {
      await b.close();
    }
  });
});
