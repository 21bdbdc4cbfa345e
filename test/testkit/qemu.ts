// Real QEMU tools for tests: qemu-img/qemu-io to make volumes and simulate writes, qemu-nbd and
// qemu-storage-daemon to serve them. Every process started here is killed when its test ends.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const run = promisify(execFile);

/** Runs a QEMU tool; throws with its stderr when it fails. */
export async function qemu(tool: 'qemu-img' | 'qemu-io', args: string[]): Promise<string> {
  try {
    return (await run(tool, args, { maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/** Writes with qemu-io (`write -P 0xab 1M 64k` etc.): the way QEMU itself writes, so enabled bitmaps record it. */
export async function qemuWrite(image: string, ...commands: string[]): Promise<void> {
  await qemu('qemu-io', ['-f', 'qcow2', ...commands.flatMap((c) => ['-c', c]), image]);
}

/** Starts a long-running process; resolves once `ready()` holds; killed (SIGKILL) when the test ends. */
export async function startDaemon(t: TestContext, command: string, args: string[], ready: () => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const started = Date.now();
  while (!(await ready())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} exited: ${stderr}`);
    if (Date.now() - started > 20_000) throw new Error(`${command} did not become ready in 20 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}


/** Whether something accepts connections on a Unix socket or a loopback port. */
export function listening(where: string | number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(typeof where === 'string' ? { path: where } : { host: '127.0.0.1', port: where }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

/** A TCP port on loopback that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** qemu-nbd serving `image` read-only on a Unix socket (or TCP port), exporting the given bitmaps. */
export async function qemuNbd(t: TestContext, image: string, where: { socket: string } | { port: number }, bitmaps: string[] = [], format = 'qcow2'): Promise<ChildProcess> {
  const listen = 'socket' in where ? ['-k', where.socket] : ['-b', '127.0.0.1', '-p', String(where.port)];
  const ready = (): Promise<boolean> => listening('socket' in where ? where.socket : where.port);
  return startDaemon(t, 'qemu-nbd', ['-r', '-t', '--shared=8', ...listen, ...bitmaps.flatMap((b) => ['-B', b]), '-f', format, image], ready);
}
