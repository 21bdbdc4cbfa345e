// Child process of s3-server.ts: runs s3rver on 127.0.0.1 and an OS-chosen port, reports the port
// over IPC, and when the parent goes away (the IPC channel closes even on SIGKILL) removes its
// data directory and exits, so a crashed test run leaves neither processes nor files behind.
// Started with --openssl-legacy-provider: without it s3rver answers 500 to continuation tokens.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

interface S3rverInstance { run(): Promise<{ port: number }> }
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const directory = process.argv[2];
if (!directory || !process.send) throw new Error('usage: fork s3-server-child.ts <directory> with an IPC channel');

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const { port } = await new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory }).run();
process.send({ port });
process.on('disconnect', () => {
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});
