// restic and borg as shipped by Debian, with their default chunkers and compression, so that
// Cairn is compared with what users actually run. Each gets a private home for its cache
// (outside the repository, so not counted in the repository size).
import { join } from 'node:path';
import type { CommandResult } from './measure.ts';
import { run, runMeasured } from './measure.ts';
import type { BackupRun, BenchTool } from './tool.ts';
import { commandTimeoutMs } from './tool.ts';

const passphrase = 'cairn-bench-not-secret';

export function restic(home: string): BenchTool {
  const env = { RESTIC_PASSWORD: passphrase, RESTIC_CACHE_DIR: join(home, 'restic-cache') };
  const restic = (args: string[], cwd?: string): Promise<CommandResult> =>
    runMeasured('restic', args, { env, timeoutMs: commandTimeoutMs, ...(cwd === undefined ? {} : { cwd }) });
  return {
    name: 'restic',
    settings: 'restic defaults: repository format "stable" (v2 since 0.14: compression auto = zstd fastest), ' +
      'content-defined chunks 512 KiB-8 MiB (1 MiB average), AES-256-CTR + Poly1305-AES; restore is not sparse (0.14 has no --sparse)',
    version: async () => (await run('restic', ['version'])).trim(),
    init: (repo) => restic(['-r', repo, 'init']),
    async backup(repo, srcDir, entry): Promise<BackupRun> {
      // Same relative path from the same directory on every run, so restic finds its parent snapshot.
      const result = await restic(['-r', repo, 'backup', '--json', entry], srcDir);
      const summary = lastJsonLine(result.stdout) as { snapshot_id?: string } | undefined;
      return { result, ref: summary?.snapshot_id ?? 'latest' };
    },
    restore: (repo, ref, outDir) => restic(['-r', repo, 'restore', ref, '--target', outDir]),
  };
}

export function borg(home: string): BenchTool {
  const env = { BORG_PASSPHRASE: passphrase, BORG_BASE_DIR: home };
  const borg = (args: string[], cwd?: string): Promise<CommandResult> =>
    runMeasured('borg', args, { env, timeoutMs: commandTimeoutMs, ...(cwd === undefined ? {} : { cwd }) });
  return {
    name: 'borg',
    settings: 'borg defaults: buzhash chunker 19,23,21,4095 (2 MiB average), lz4 compression; encryption repokey ' +
      '(AES-256-CTR + HMAC-SHA256, chosen over repokey-blake2 because SHA-256 is faster than BLAKE2b on this CPU); ' +
      'extract --sparse',
    version: async () => (await run('borg', ['--version'])).trim(),
    init: (repo) => borg(['init', '--encryption', 'repokey', repo]),
    async backup(repo, srcDir, entry, _kind, phase): Promise<BackupRun> {
      return { result: await borg(['create', `${repo}::${phase}`, entry], srcDir), ref: phase };
    },
    // --sparse only makes all-zero chunks holes in the output; without it a 4 GiB image is written dense.
    restore: (repo, ref, outDir) => borg(['extract', '--sparse', `${repo}::${ref}`], outDir),
  };
}

/** The last stdout line that parses as JSON (restic --json prints status lines, then a summary). */
export function lastJsonLine(stdout: string): unknown {
  for (const line of stdout.trim().split('\n').reverse()) {
    try {
      return JSON.parse(line);
    } catch {
      continue;
    }
  }
  return undefined;
}
