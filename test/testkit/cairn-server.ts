// `cairn server` (and `cairn worker`) as a user starts it, in a child process (on a free loopback port), stopped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { CLI } from './cli.ts';

export interface RunningServer {
  url: string;
  /** What the server printed so far. */
  output: () => string;
  child: ChildProcess;
  /** SIGTERM, and waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export async function startServer(t: TestContext, args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  return startNode(t, ['server', '--listen', '127.0.0.1:0', ...args], env, /listening on (http:\/\/\S+)/);
}

/** `cairn worker` (a cluster node without the API); its `url` is empty. */
export async function startWorker(t: TestContext, args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  return startNode(t, ['worker', ...args], env, /cairn worker running()/);
}

async function startNode(t: TestContext, args: string[], env: Record<string, string>, ready: RegExp): Promise<RunningServer> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  t.after(stop);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cairn ${args[0]} did not start within 60 s:\n${text}`)), 60_000);
    const look = (): void => {
      const m = ready.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', look);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`cairn ${args[0]} exited ${code}:\n${text}`)); });
  });
  return { url, output: () => text, child, stop };
}

/** JSON over fetch: status, content type and body. */
export async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}
