// The same CLI on a bank in S3 (an S3-protocol server on loopback): back up, restore, verify, gc.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { makeImage, sha256, writeAt } from '../testkit/files.ts';
import { startS3Server, type S3Server } from '../testkit/s3-server.ts';

let s3: S3Server;
before(async () => { s3 = await startS3Server('cairn-cli'); });
after(async () => { await s3.stop(); });

const env = (): Record<string, string> => ({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' });
const s3Args = (): string[] => ['--s3-endpoint', s3.endpoint, '--s3-path-style'];

test('image backups, incrementals, restore, verify and gc on an S3 bank', async (t) => {
  const dir = await tempDir(t);
  const bank = 's3://cairn-cli/banks/one';
  const img = join(dir, 'disk.img');
  await makeImage(img, 24 << 20, [[0, 10 << 20], [20 << 20, 1 << 20]]);
  await cairnOk(['bank', 'init', bank, ...s3Args()], { env: env() });
  const full = (await cairnOk(['backup', 'image', img, '--bank', bank, ...s3Args(), '--name', 'disk', '--json'], { env: env() })).json<{ id: string }>();
  await writeAt(img, 5 << 20, Buffer.alloc(100_000, 9));
  const incr = (await cairnOk(['backup', 'image', img, '--bank', bank, ...s3Args(), '--name', 'disk', '--json'], { env: env() })).json<{ id: string; parent: string; writtenBytes: number }>();
  assert.equal(incr.parent, full.id);
  assert.ok(incr.writtenBytes < 1 << 20);
  const out = join(dir, 'out.img');
  await cairnOk(['restore', incr.id, '--bank', bank, ...s3Args(), '--to', out], { env: env() });
  assert.equal(await sha256(out), await sha256(img));
  await cairnOk(['forget', full.id, '--bank', bank, ...s3Args()], { env: env() });
  await cairnOk(['gc', '--bank', bank, ...s3Args()], { env: env() });
  await cairnOk(['verify', '--bank', bank, ...s3Args()], { env: env() });
  const stream = await cairnOk(['backup', 'stream', '--bank', bank, ...s3Args(), '--name', 'dump', '--json'], { env: env(), input: Buffer.alloc(3 << 20, 1) });
  const back = await cairnOk(['restore', stream.json<{ id: string }>().id, '--bank', bank, ...s3Args(), '--to', '-'], { env: env() });
  assert.ok(back.stdoutBytes.equals(Buffer.alloc(3 << 20, 1)));
});

test('unknown S3 credentials fail with advice and never show them', async () => {
  // s3rver checks the access key id, not the signature's secret: an unknown key id is what it refuses.
  const r = await cairn(['checkpoints', '--bank', 's3://cairn-cli/banks/one', ...s3Args()], { env: { ...env(), AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY123', AWS_SECRET_ACCESS_KEY: 'definitely-wrong-secret' } });
  assert.notEqual(r.code, 0);
  assert.ok(!r.stderr.includes('definitely-wrong-secret') && !r.stderr.includes('AKIAUNKNOWNKEY123'), r.stderr);
  assert.match(r.stderr, /credential|permission|denied|signature/i);
});
