// Runs the real `cairn` command (src/main/cli.ts) in a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../src/main/cli.ts');
export const PASSPHRASE = 'correct horse battery staple';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: Buffer | string;
  /** Leave stdin open for the test to write and end (through onSpawn's child). */
  keepStdinOpen?: boolean;
  /** Receives the child right after spawn (to kill it at a chosen moment). */
  onSpawn?: (child: ChildProcess) => void;
}

export function cairn(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, CAIRN_PASSPHRASE: PASSPHRASE, ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [CLI, ...args], { env: env, stdio: ['pipe', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  const out: Buffer[] = [], err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.on('error', () => undefined);
  if (!options.keepStdinOpen) child.stdin.end(options.input ?? '');
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      const stdout = stdoutBytes.toString('utf8'), stderr = Buffer.concat(err).toString('utf8');
      resolvePromise({
        code, signal, stdout, stderr, stdoutBytes,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`cairn ${args.join(' ')} did not print JSON (exit ${code}):\nstdout: ${stdout}\nstderr: ${stderr}`);
          }
        },
      });
    });
  });
}

/** Like cairn() but fails the test with the command's output when it does not exit 0. */
export async function cairnOk(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const r = await cairn(args, options);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}
