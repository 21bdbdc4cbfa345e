/**
 * Composition root of the `cairn` command: the only place that reads the process environment.
 * Errors are printed as one line that says what to do, with an exit status (2: fix the input, 3: damaged data).
 */
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { buildProgram } from '../cli/program.ts';
import type { CliEnvironment } from '../cli/context.ts';
import { exitCodeOf } from '../cli/output.ts';
import { CairnError } from '../core/errors.ts';
import { runServer } from './server.ts';
import { rebuildCatalog } from './catalog-rebuild.ts';
import { runWorker } from './worker.ts';
import { defaultSettings, type QueueSettings } from '../jobs/queue.ts';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`cairn needs Node 24 or newer (this is ${process.versions.node}): run 'npm ci' in the Cairn checkout and use 'npx cairn'.\n`);
  process.exit(1);
}

// Node's compile cache keeps stripped TypeScript between runs: the stripper (a wasm module) otherwise costs
// ~13 MB of RSS in every codec worker thread (and ~18 MB in the main thread, which bin/cairn.js spares by
// enabling the cache before it loads this file). Worker threads find the cache through the environment.
const compileCache = enableCompileCache();
if (compileCache.directory) process.env.NODE_COMPILE_CACHE ??= compileCache.directory;

const e = process.env;
const env: CliEnvironment = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  ...(e.CAIRN_PASSPHRASE !== undefined ? { passphrase: e.CAIRN_PASSPHRASE } : {}),
  ...(e.CAIRN_NEW_PASSPHRASE !== undefined ? { newPassphrase: e.CAIRN_NEW_PASSPHRASE } : {}),
  configDir: e.CAIRN_CONFIG_DIR ?? join(e.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cairn'),
  ...(e.CAIRN_URL && e.CAIRN_TOKEN ? { server: { url: e.CAIRN_URL, token: e.CAIRN_TOKEN } } : {}),
  ...(e.CAIRN_PASSWORD !== undefined ? { password: e.CAIRN_PASSWORD } : {}),
  s3: {
    ...(e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL ? { endpoint: e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL } : {}),
    ...(e.AWS_REGION ?? e.AWS_DEFAULT_REGION ? { region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION } : {}),
    ...(e.AWS_ACCESS_KEY_ID ? { accessKeyId: e.AWS_ACCESS_KEY_ID } : {}),
    ...(e.AWS_SECRET_ACCESS_KEY ? { secretAccessKey: e.AWS_SECRET_ACCESS_KEY } : {}),
    ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
    ...(e.CAIRN_S3_PATH_STYLE === '1' ? { forcePathStyle: true } : {}),
  },
};

function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new CairnError('bad-input', `${name}=${text}: give a whole number, ${min} or more`);
  return n;
}

/** A job whose worker is silent for `heartbeat` seconds is retried: the sweep looks as often, retries wait a little. */
function queueSettingsFor(heartbeat: number): QueueSettings {
  return { ...defaultSettings, heartbeatSeconds: heartbeat, superviseSeconds: heartbeat, retryDelaySeconds: Math.min(defaultSettings.retryDelaySeconds, heartbeat) };
}

// A closed pipe (cairn restore … --to - | head) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); });

try {
  const serverEnv = {
    stdout: process.stdout, version: process.env.npm_package_version ?? '0.1.0',
    ...(e.CAIRN_DATA ? { dataDir: e.CAIRN_DATA } : {}),
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    ...(e.CAIRN_ADMIN_PASSWORD ? { adminPassword: e.CAIRN_ADMIN_PASSWORD } : {}),
    ...(e.CAIRN_MASTER_KEY ? { masterKey: e.CAIRN_MASTER_KEY } : {}),
    s3: env.s3,
    ...(e.CAIRN_WORKERS ? { workers: wholeNumber('CAIRN_WORKERS', e.CAIRN_WORKERS, 0) } : {}),
    ...(e.CAIRN_HEARTBEAT_SECONDS ? { queueSettings: queueSettingsFor(wholeNumber('CAIRN_HEARTBEAT_SECONDS', e.CAIRN_HEARTBEAT_SECONDS, 10)) } : {}),
  };
  await buildProgram(env, {
    serve: (opts) => runServer(opts, serverEnv),
    work: (opts) => runWorker(opts, serverEnv),
    rebuildCatalog: (opts, secret) => rebuildCatalog(opts, secret, serverEnv),
  }).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const message = err instanceof CairnError ? err.message : `unexpected error: ${(err as Error).stack ?? String(err)}`;
    process.stderr.write(`cairn: ${message}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
