/**
 * libvirt through virsh, on one connection URI. Cairn drives libvirt with its own command-line client
 * rather than a native binding: virsh is in every libvirt installation, and each call is a short,
 * logged-by-libvirt operation (a backup makes about ten of them).
 */
import { execFile } from 'node:child_process';
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

  /** Runs a command that takes XML documents (written to a private temporary directory) after `args`. */
  async runWithXml(args: string[], ...documents: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-virsh-'));
    try {
      const files: string[] = [];
      for (const [i, doc] of documents.entries()) {
        files.push(join(dir, `${i}.xml`));
        await writeFile(files[i]!, doc, { mode: 0o600 });
      }
      return await this.run(...args, ...files);
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
