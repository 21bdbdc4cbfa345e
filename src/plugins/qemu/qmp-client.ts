/**
 * A QMP client (QEMU's JSON machine protocol) over a Unix socket: capabilities negotiation, commands
 * answered in order, and events that a caller can wait for. Each message is one JSON object per line.
 */
import { connect, type Socket } from 'node:net';
import { CairnError } from '../../core/errors.ts';

interface Waiter {
  event: string;
  match: (data: Record<string, unknown>) => boolean;
  resolve: (data: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

export class QmpClient {
  readonly #socket: Socket;
  readonly #what: string;
  readonly #replies: { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string }[] = [];
  readonly #waiters = new Set<Waiter>();
  #buffer = '';
  #greeted: (() => void) | undefined;
  #broken: Error | undefined;

  private constructor(socket: Socket, what: string) {
    this.#socket = socket;
    this.#what = what;
  }

  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const what = `the QMP monitor at ${path}`;
    const socket = connect({ path });
    const client = new QmpClient(socket, what);
    const greeted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CairnError('source', `${what} did not greet within ${timeoutMs} ms (a monitor serves one client at a time: is another one connected?)`)), timeoutMs);
      client.#greeted = () => { clearTimeout(timer); resolve(); };
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ' (is qemu-storage-daemon or QEMU running with a QMP monitor there?)' : '';
        reject(new CairnError('source', `cannot connect to ${what}: ${err.message}${hint}`));
      });
    });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => client.#receive(text));
    socket.on('error', (err) => client.#fail(new CairnError('source', `${what} failed: ${err.message}`)));
    socket.on('close', () => client.#fail(new CairnError('source', `${what} closed the connection`)));
    try {
      await greeted;
      await client.execute('qmp_capabilities');
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return client;
  }

  /** Runs a command; rejects with QEMU's error description. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<T>((resolve, reject) => {
      this.#replies.push({ resolve: resolve as (v: unknown) => void, reject, command });
      this.#socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  /**
   * Resolves with the data of the next `event` for which `match` holds. Call it before the command
   * that causes the event, so the event cannot come first.
   */
  event(event: string, match: (data: Record<string, unknown>) => boolean = () => true, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        event, match,
        resolve: (data) => { clearTimeout(timer); resolve(data); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new CairnError('source', `${this.#what} sent no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.#fail(new CairnError('source', `the connection to ${this.#what} is closed`));
    this.#socket.destroy();
  }

  #receive(text: string): void {
    this.#buffer += text;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line) this.#message(JSON.parse(line) as Record<string, unknown>);
    }
  }

  #message(m: Record<string, unknown>): void {
    if ('QMP' in m) {
      this.#greeted?.();
    } else if ('event' in m) {
      const data = (m.data ?? {}) as Record<string, unknown>;
      for (const w of this.#waiters) {
        if (w.event === m.event && w.match(data)) {
          this.#waiters.delete(w);
          w.resolve(data);
        }
      }
    } else if ('return' in m || 'error' in m) {
      const r = this.#replies.shift();
      if (!r) return;
      if ('error' in m) {
        const e = m.error as { class?: string; desc?: string };
        r.reject(new CairnError('source', `${this.#what} refused ${r.command}: ${e.desc ?? e.class ?? 'unknown error'}`));
      } else {
        r.resolve(m.return);
      }
    }
  }

  /** The connection is gone: every command and every event waited for fails with `err`. */
  #fail(err: Error): void {
    if (this.#broken) return;
    this.#broken = err;
    for (const r of this.#replies.splice(0)) r.reject(err);
    for (const w of this.#waiters) w.reject(err);
    this.#waiters.clear();
  }
}
