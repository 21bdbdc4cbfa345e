/**
 * Runs getfattr for batches of paths from one long-lived shell.
 *
 * Why a shell: spawning getfattr for each batch forked the whole backup process each time, and after
 * every fork each page the process wrote again faulted (copy-on-write protection): 290,000 page
 * faults on a tree of 16,000 files, about two seconds on a virtual machine. The shell is forked
 * once, and it forks getfattr, which is cheap for a process its size.
 *
 * Protocol: a batch's paths go NUL-separated into a file that `xargs -0 -a` reads (bash reads its own
 * input a byte at a time, so the paths must not pass through it); the command line names the file.
 * After getfattr, the shell prints a marker on stderr and a marker with the exit status on stdout,
 * each between NUL bytes, which getfattr never prints (its dump escapes control bytes). Batches run
 * one at a time, in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GetfattrRun {
  /** Exit code; undefined when getfattr could not be run at all. */
  code: number | undefined;
  stdout: Buffer;
  stderr: string;
}

const OUT_MARKER = Buffer.from('\0cairn-end ');
const ERR_MARKER = '\0cairn-end\0';
const MISSING = 127;

interface Waiter {
  resolve: (run: GetfattrRun) => void;
}

export class GetfattrShell {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dir = mkdtempSync(join(tmpdir(), 'cairn-getfattr-'));
  #batches = 0;
  readonly #waiters: Waiter[] = [];
  #out = Buffer.alloc(0);
  #err = '';
  #dead = false;

  constructor() {
    // LC_ALL=C: getfattr then escapes only control bytes, '\\' and '=', never UTF-8 sequences.
    this.#child = spawn('bash', ['--noprofile', '--norc'], { env: { ...process.env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (b: Buffer) => { this.#out = Buffer.concat([this.#out, b]); this.#settle(); });
    this.#child.stderr.on('data', (b: Buffer) => { this.#err += b.toString('latin1'); this.#settle(); });
    this.#child.stdin.on('error', () => {}); // EPIPE when the shell died; 'close' answers the waiters
    this.#child.on('error', () => this.#die());
    this.#child.on('close', () => this.#die());
  }

  /** getfattr -h -d -m - -e base64 --absolute-names for `paths` (absolute, any bytes but NUL). */
  run(paths: readonly Buffer[]): Promise<GetfattrRun> {
    if (this.#dead) return Promise.resolve({ code: undefined, stdout: Buffer.alloc(0), stderr: 'the shell that runs getfattr is gone' });
    const list = join(this.#dir, `batch-${this.#batches++}`);
    writeFileSync(list, Buffer.concat(paths.flatMap((p) => [p, NUL])));
    const command = `xargs -0 -r -a '${list}' getfattr -h -d -m - -e base64 --absolute-names --; ` +
      `s=$?; printf '\\0cairn-end\\0' >&2; printf '\\0cairn-end %d\\0' "$s"\n`;
    return new Promise((resolve) => {
      this.#waiters.push({ resolve: (run) => { rmSync(list, { force: true }); resolve(run); } });
      this.#child.stdin.write(command);
    });
  }

  close(): void {
    this.#child.stdin.end();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #settle(): void {
    for (;;) {
      const waiter = this.#waiters[0];
      const at = this.#out.indexOf(OUT_MARKER);
      const end = at < 0 ? -1 : this.#out.indexOf(0, at + OUT_MARKER.length);
      const errEnd = this.#err.indexOf(ERR_MARKER);
      if (!waiter || end < 0 || errEnd < 0) return;
      this.#waiters.shift();
      const code = Number(this.#out.subarray(at + OUT_MARKER.length, end).toString('latin1'));
      const stderr = Buffer.from(this.#err.slice(0, errEnd), 'latin1').toString('utf8');
      waiter.resolve({ code: code === MISSING ? undefined : code, stdout: this.#out.subarray(0, at), stderr });
      this.#out = this.#out.subarray(end + 1);
      this.#err = this.#err.slice(errEnd + ERR_MARKER.length);
    }
  }

  #die(): void {
    this.#dead = true;
    for (const w of this.#waiters.splice(0)) w.resolve({ code: undefined, stdout: Buffer.alloc(0), stderr: this.#err.trim() || 'bash could not be run' });
  }
}

const NUL = Buffer.of(0);
