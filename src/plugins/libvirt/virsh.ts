/**
 * libvirt through virsh, on one connection URI. Cairn drives libvirt with its own command-line client
 * rather than a native binding: virsh is in every libvirt installation, and each call is a short,
 * logged-by-libvirt operation (a backup makes about ten of them).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CairnError } from '../../core/errors.ts';

const run = promisify(execFile);

export const DEFAULT_URI = 'qemu:///system';

export type DomainState = 'running' | 'paused' | 'shut off' | 'crashed' | 'pmsuspended' | 'in shutdown' | 'blocked' | 'idle' | 'no state';

export class Virsh {
  readonly uri: string;

  constructor(uri?: string) {
    this.uri = uri ?? process.env.LIBVIRT_DEFAULT_URI ?? DEFAULT_URI;
  }

  /** Runs one virsh command; its failure becomes a CairnError that names the command and libvirt's reason. */
  async run(...args: string[]): Promise<string> {
    try {
      return (await run('virsh', ['-q', '-c', this.uri, ...args], { maxBuffer: 64 << 20 })).stdout;
    } catch (err) {
      throw this.#explain(args, err as Error & { code?: string | number; stderr?: string });
    }
  }

  /**
   * Runs several commands in one virsh process: each call costs ~50 ms of connecting to libvirtd, and
   * a backup makes a dozen. Returns each command's output, or its error. virsh carries on after a
   * failed command and still exits 0, and its errors do not say which command failed: when any did,
   * the commands are run again one by one, so they must not change anything (queries only).
   */
  async batch(commands: string[][]): Promise<(string | CairnError)[]> {
    const script = await this.#script(commands);
    if (script && script.errors.length === 0) return script.outputs;
    const results: (string | CairnError)[] = [];
    for (const c of commands) results.push(await this.run(...c).catch((err: unknown) => (err instanceof CairnError ? err : new CairnError('source', String(err)))));
    return results;
  }

  /**
   * Runs commands in one virsh process; returns each one's output and virsh's error lines, or undefined
   * when an argument needs quoting that virsh's own parser would have to undo (then run them alone).
   */
  async #script(commands: string[][]): Promise<{ outputs: string[]; errors: string[] } | undefined> {
    if (commands.some((c) => c.some((a) => !/^[A-Za-z0-9_.:@+/=,-]+$/.test(a)))) return undefined;
    const marker = `cairn-batch-${randomBytes(6).toString('hex')}`;
    const text = commands.map((c) => c.join(' ')).join(` ; echo ${marker} ; `);
    let stdout: string, stderr: string;
    try {
      ({ stdout, stderr } = await run('virsh', ['-q', '-c', this.uri, text], { maxBuffer: 64 << 20 }));
    } catch (err) {
      // virsh exits with the last command's status: a failure of that one is an error line like any other.
      const e = err as Error & { code?: string | number; stdout?: string; stderr?: string };
      const explained = this.#explain(commands[0]!, e);
      if (typeof e.stdout !== 'string' || explained.transient || explained.code === 'unsupported') throw explained;
      ({ stdout, stderr = '' } = e);
    }
    // With -q, virsh ends echo's line without a newline: the marker splits, whatever surrounds it.
    const outputs = stdout.split(marker).map((o, i) => (i > 0 && o.startsWith('\n') ? o.slice(1) : o));
    const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
    if (outputs.length !== commands.length) errors.push(`error: virsh printed ${outputs.length} outputs for ${commands.length} commands`);
    return { outputs, errors };
  }

  /**
   * Runs a command that takes XML documents (written to a private temporary directory) after `args`,
   * then, in the same virsh process, the queries in `then`, which must answer something once it
   * succeeded. Returns the command's output and the queries' (an empty string for a query that failed).
   */
  async runWithXml(args: string[], documents: string[], then: string[][] = []): Promise<string[]> {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-virsh-'));
    try {
      const files: string[] = [];
      for (const [i, doc] of documents.entries()) {
        files.push(join(dir, `${i}.xml`));
        await writeFile(files[i]!, doc, { mode: 0o600 });
      }
      const command = [...args, ...files];
      const script = then.length > 0 ? await this.#script([command, ...then]) : undefined;
      if (!script) return [await this.run(...command), ...await Promise.all(then.map((q) => this.run(...q).catch(() => '')))];
      // An error with the first query answering nothing is the command's own (the queries look at what it made).
      if (script.errors.length > 0 && !script.outputs[1]?.trim()) {
        throw this.#explain(command, Object.assign(new Error(script.errors.join('\n')), { stderr: script.errors.join('\n') }));
      }
      return script.outputs;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async state(domain: string): Promise<DomainState> {
    return (await this.run('domstate', domain)).trim() as DomainState;
  }

  async exists(domain: string): Promise<boolean> {
    try {
      await this.run('domuuid', domain);
      return true;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'not-found') return false;
      throw err;
    }
  }

  #explain(args: string[], err: Error & { code?: string | number; stderr?: string }): CairnError {
    if (err.code === 'ENOENT') return new CairnError('unsupported', 'virsh is not installed: install libvirt-clients (Debian) to back up libvirt domains');
    const reason = (err.stderr ?? err.message).split('\n').map((l) => l.replace(/^error: /, '').trim()).filter(Boolean).join('; ');
    if (/failed to connect to the hypervisor|Failed to connect socket|no connection driver available/i.test(reason)) {
      return new CairnError('source', `cannot reach libvirt at ${this.uri} (${reason}): is libvirtd running, and may this user use it?`, { transient: true });
    }
    if (/Domain not found|failed to get domain/i.test(reason)) {
      return new CairnError('not-found', `${reason} (libvirt at ${this.uri})`, { cause: err });
    }
    return new CairnError('source', `virsh ${args[0]} failed: ${reason}`, { cause: err });
  }
}
