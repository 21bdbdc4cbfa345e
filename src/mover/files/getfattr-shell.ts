/**
 * Runs getfattr for batches of paths from one long-lived shell.
 *
 * Why a shell: spawning getfattr for each batch forked the whole backup process each time, and after
 * every fork each page the process wrote again faulted (copy-on-write protection): 290,000 page
 * faults on a tree of 16,000 files, about two seconds on a virtual machine. The shell is forked
 * once, and it forks getfattr, which is cheap for a process its size.
 *
 * Protocol: a batch's paths go NUL-separated into a file in the shell's working directory, which
 * `xargs -0 -a` reads (bash reads its own input a byte at a time, so paths must not pass through
 * it; and the command line names only `batch-<n>`, so nothing in it needs quoting). After getfattr,
 * the shell prints a marker on stderr and a marker with the exit status on stdout, each between NUL
 * bytes, which getfattr never prints (its dump escapes control bytes). Batches run one at a time.
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
const ERR_MARKER = Buffer.from('\0cairn-end\0');
const MISSING = 127;
const NUL = Buffer.of(0);

interface Waiter {
  resolve: (run: GetfattrRun) => void;
}

/**
 * Output that arrives in pieces, searched for a marker. Markers are the only NUL bytes in the output,
 * so the pieces are joined and searched only once one holds a NUL: linear however large the output.
 */
class Collected {
  #pieces: Buffer[] = [];
  #nul = false;

  push(piece: Buffer): void {
    this.#pieces.push(piece);
    this.#nul ||= piece.includes(0);
  }

  /** Everything before `marker`, once the marker is in whole (`end` finds where it ends); the rest stays. */
  take(marker: Buffer, end: (all: Buffer, at: number) => number): Buffer | undefined {
    if (!this.#nul) return undefined;
    const all = Buffer.concat(this.#pieces);
    const at = all.indexOf(marker);
    const stop = at < 0 ? -1 : end(all, at);
    if (stop < 0) {
      this.#pieces = [all];
      return undefined;
    }
    const rest = all.subarray(stop);
    this.#pieces = [rest];
    this.#nul = rest.includes(0);
    return all.subarray(0, at);
  }
}

export class GetfattrShell {
  readonly #dir: string | undefined;
  readonly #child: ChildProcessWithoutNullStreams | undefined;
  readonly #waiters: Waiter[] = [];
  readonly #out = new Collected();
  readonly #err = new Collected();
  #outDone: { code: number; stdout: Buffer } | undefined;
  #errDone: string | undefined;
  #batches = 0;
  #dead: string | undefined;

  constructor() {
    try {
      this.#dir = mkdtempSync(join(tmpdir(), 'cairn-getfattr-'));
    } catch (err) {
      this.#dead = `no temporary directory for getfattr's path lists (${(err as Error).message})`;
      return;
    }
    // LC_ALL=C: getfattr then escapes only control bytes, '\\' and '=', never UTF-8 sequences.
    // Nothing from the environment may change what the shell runs: no BASH_ENV, no exported functions.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'BASH_ENV' && k !== 'ENV' && !k.startsWith('BASH_FUNC_')));
    this.#child = spawn('bash', ['--noprofile', '--norc'], { cwd: this.#dir, env: { ...env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (b: Buffer) => { this.#out.push(b); this.#settle(); });
    this.#child.stderr.on('data', (b: Buffer) => { this.#err.push(b); this.#settle(); });
    this.#child.stdin.on('error', () => {}); // EPIPE when the shell died; 'close' answers the waiters
    this.#child.on('error', (err) => this.#die(`bash could not be run (${err.message})`));
    this.#child.on('close', () => this.#die('the shell that runs getfattr ended'));
  }

  /** getfattr -h -d -m - -e base64 --absolute-names for `paths` (absolute, any bytes but NUL). */
  run(paths: readonly Buffer[]): Promise<GetfattrRun> {
    if (this.#dead !== undefined || !this.#child || !this.#dir) return Promise.resolve(failed(this.#dead ?? 'getfattr could not be run'));
    const name = `batch-${this.#batches++}`;
    try {
      writeFileSync(join(this.#dir, name), Buffer.concat(paths.flatMap((p) => [p, NUL])));
    } catch (err) {
      return Promise.resolve(failed(`cannot write getfattr's path list (${(err as Error).message})`));
    }
    const command = `xargs -0 -r -a ${name} getfattr -h -d -m - -e base64 --absolute-names -- </dev/null; ` +
      `s=$?; rm -f ${name}; printf '\\0cairn-end\\0' >&2; printf '\\0cairn-end %d\\0' "$s"\n`;
    return new Promise((resolve) => {
      this.#waiters.push({ resolve });
      this.#child!.stdin.write(command);
    });
  }

  close(): void {
    this.#child?.stdin.end();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }

  #settle(): void {
    for (;;) {
      this.#outDone ??= this.#takeOut();
      this.#errDone ??= this.#err.take(ERR_MARKER, (_all, at) => at + ERR_MARKER.length)?.toString('utf8');
      const waiter = this.#waiters[0];
      if (!waiter || !this.#outDone || this.#errDone === undefined) return;
      this.#waiters.shift();
      const { code, stdout } = this.#outDone;
      waiter.resolve({ code: code === MISSING ? undefined : code, stdout, stderr: this.#errDone });
      this.#outDone = undefined;
      this.#errDone = undefined;
    }
  }

  #takeOut(): { code: number; stdout: Buffer } | undefined {
    let code = 0;
    const got = this.#out.take(OUT_MARKER, (all, at) => {
      const end = all.indexOf(0, at + OUT_MARKER.length);
      if (end >= 0) code = Number(all.subarray(at + OUT_MARKER.length, end).toString('latin1'));
      return end < 0 ? -1 : end + 1;
    });
    return got && { code, stdout: got };
  }

  #die(why: string): void {
    this.#dead ??= why;
    for (const w of this.#waiters.splice(0)) w.resolve(failed(why));
  }
}

function failed(why: string): GetfattrRun {
  return { code: undefined, stdout: Buffer.alloc(0), stderr: why };
}
