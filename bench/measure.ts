// Running external commands. `runMeasured` times a tool the way a user would experience it: wall
// clock from Node's monotonic clock around the whole process, peak RSS from GNU time's %M (the
// child's ru_maxrss; for a tool that forks helpers it is the largest process, not the sum).
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandResult {
  ok: boolean;
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
  stderr: string;
  /** Why the command failed: exit status, signal, timeout or spawn error, with the end of stderr. */
  error?: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const keptOutputBytes = 1 << 20;
let timeFileCounter = 0;

/** Runs `cmd` under /usr/bin/time; never throws (a failure is a result to print). */
export async function runMeasured(cmd: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeFile = join(tmpdir(), `cairn-bench-time-${process.pid}-${timeFileCounter++}`);
  const started = process.hrtime.bigint();
  const outcome = await spawnCollect('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, cmd, ...args], options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const timeOutput = await readFile(timeFile, 'utf8').catch(() => '');
  await rm(timeFile, { force: true });
  // GNU time prefixes "Command exited with non-zero status N" lines; the format line is last.
  const rssKb = Number(timeOutput.trim().split('\n').at(-1)?.split(' ')[1]);
  const result: CommandResult = {
    ok: outcome.error === undefined, seconds, stdout: outcome.stdout, stderr: outcome.stderr,
    peakRssMb: Number.isFinite(rssKb) ? (rssKb * 1024) / 1e6 : null,
  };
  if (outcome.error !== undefined) result.error = `${outcome.error}: ${gist(outcome.stderr || outcome.stdout)}`;
  return result;
}

/** Runs a helper step (cp, mkfs, du); throws with its stderr when it fails. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const outcome = await spawnCollect(cmd, args, options);
  if (outcome.error !== undefined) {
    throw new Error(`${cmd} ${args.join(' ')}: ${outcome.error}: ${lastLines(outcome.stderr, 5)}`);
  }
  return outcome.stdout;
}

interface Outcome { stdout: string; stderr: string; error?: string }

function spawnCollect(cmd: string, args: string[], options: RunOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    // Own process group, so that a timeout kills the tool and not only /usr/bin/time.
    const child = spawn(cmd, args, {
      cwd: options.cwd, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = tail(child.stdout);
    const stderr = tail(child.stderr);
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    const finish = (error?: string): void => {
      clearTimeout(timer);
      const outcome: Outcome = { stdout: stdout(), stderr: stderr() };
      if (error !== undefined) outcome.error = error;
      resolve(outcome);
    };
    child.on('error', (err) => finish(`cannot start ${cmd}: ${err.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`timed out after ${(options.timeoutMs ?? 0) / 1000} s`);
      else if (code === 0) finish();
      else finish(signal === null ? `exit status ${code}` : `killed by ${signal}`);
    });
  });
}

/** Keeps the last MiB of a stream: progress output can be long, the JSON we want is at the end. */
function tail(stream: NodeJS.ReadableStream): () => string {
  let chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 2 * keptOutputBytes) {
      const joined = Buffer.concat(chunks).subarray(-keptOutputBytes);
      chunks = [joined];
      size = joined.length;
    }
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/** The line of a failure's output that says what went wrong: the first error line, else the last lines. */
export function gist(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(\w*Error\b|error:|fatal:)/i.test(line)) ?? lastLines(output, 3);
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Bytes used on disk by a file or tree (`du -sb` counts apparent sizes; we want allocation too). */
export async function diskUsage(path: string): Promise<{ apparent: number; allocated: number }> {
  const apparent = Number((await run('du', ['-sb', path])).split('\t')[0]);
  const allocated = Number((await run('du', ['-s', '--block-size=1', path])).split('\t')[0]);
  return { apparent, allocated };
}

export async function countFiles(dir: string): Promise<number> {
  return (await run('find', [dir, '-type', 'f'])).split('\n').filter(Boolean).length;
}

/** Empties the page cache so every tool starts cold; false when the kernel does not let us. */
export async function dropCaches(): Promise<boolean> {
  try {
    await run('sync', []);
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}
