// A real S3 protocol server for tests: s3rver in a child process over a fresh temp directory.
// It runs in a child because it needs a Node flag (--openssl-legacy-provider) that the test
// process should not carry; the child dies with the parent (see s3-server-child.ts).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  endpoint: string;
  /** A bucket created for the caller. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Creates another empty bucket. */
  createBucket(name: string): Promise<void>;
  /** Kills the server and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

// s3rver's fixed credentials.
const accessKeyId = 'S3RVER';
const secretAccessKey = 'S3RVER';

export async function startS3Server(bucket = 'cairn-test'): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'cairn-s3rver-'));
  const child = fork(join(import.meta.dirname, 's3-server-child.ts'), [directory], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // On exit only synchronous work runs: kill the child and remove its data right away.
  const killChild = (): void => {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', killChild);
  const stop = async (): Promise<void> => {
    process.off('exit', killChild);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => { throw new Error(`s3rver exited with code ${String(code)} before listening`); }),
    ])) as [{ port: number }];
    const endpoint = `http://127.0.0.1:${message.port}`;
    const createBucket = async (name: string): Promise<void> => {
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    };
    // The first request doubles as the readiness check.
    await createBucket(bucket);
    return { endpoint, bucket, accessKeyId, secretAccessKey, createBucket, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
