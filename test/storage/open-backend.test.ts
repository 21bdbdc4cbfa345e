import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { isCairnError } from '../../src/core/errors.ts';
import { openBackend, parseBankLocation } from '../../src/storage/open-backend.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { RetryBackend } from '../../src/storage/retry-backend.ts';

const badInput = (pattern: RegExp) => (err: unknown): boolean => isCairnError(err, 'bad-input') && pattern.test(err.message);

describe('parseBankLocation', () => {
  test('plain paths resolve against the working directory; file:// URLs must be absolute', () => {
    assert.deepEqual(parseBankLocation('/srv/bank'), { kind: 'local', path: '/srv/bank' });
    assert.deepEqual(parseBankLocation('banks/b1'), { kind: 'local', path: resolve('banks/b1') });
    assert.deepEqual(parseBankLocation('file:///srv/my%20bank'), { kind: 'local', path: '/srv/my bank' });
    assert.throws(() => parseBankLocation('file://host/srv'), badInput(/file:\/\/\/absolute/));
    assert.throws(() => parseBankLocation('file:srv'), badInput(/file:\/\/\/absolute/));
  });

  test('s3://bucket/prefix takes endpoint, region and credentials from the options', () => {
    const options = { endpoint: 'http://127.0.0.1:9000', region: 'eu-1', accessKeyId: 'AK', secretAccessKey: 'SK', forcePathStyle: true };
    assert.deepEqual(parseBankLocation('s3://backups/team/bank/', options), { kind: 's3', config: { ...options, bucket: 'backups', prefix: 'team/bank' } });
    assert.deepEqual(parseBankLocation('s3://backups'), { kind: 's3', config: { bucket: 'backups', prefix: '' } });
  });

  test('malformed or unsupported locations are bad input that names the accepted forms', () => {
    assert.throws(() => parseBankLocation(''), badInput(/s3:\/\/bucket\/prefix/));
    assert.throws(() => parseBankLocation('sftp://host/bank'), badInput(/unsupported .*'sftp:'.*file:\/\/\/.*s3:\/\//));
    assert.throws(() => parseBankLocation('s3://Bad_Bucket/x'), badInput(/bucket name/));
    assert.throws(() => parseBankLocation('s3:/backups'), badInput(/s3:\/\/bucket\/prefix/));
  });

  test('credentials in an S3 location are refused without being repeated', () => {
    assert.throws(() => parseBankLocation('s3://AKIA:topsecret@backups/x'), (err) => badInput(/credentials/)(err) && !(err as Error).message.includes('topsecret'));
  });
});

describe('openBackend', () => {
  test('local locations open a LocalBackend, S3 locations a RetryBackend around S3', async () => {
    const local = await openBackend(parseBankLocation('/srv/bank'));
    assert.ok(local instanceof LocalBackend);
    const s3 = await openBackend(parseBankLocation('s3://backups/b', { endpoint: 'http://127.0.0.1:9', accessKeyId: 'a', secretAccessKey: 'b' }));
    assert.ok(s3 instanceof RetryBackend);
    assert.equal(s3.location, 's3://backups/b');
    await Promise.all([local.close(), s3.close()]);
  });
});
