/**
 * What every command needs: the environment the composition root resolved (nothing here reads
 * process.env), and the shared steps of opening a bank with its secret.
 */
import { readFile } from 'node:fs/promises';
import { CairnError } from '../core/errors.ts';
import type { StorageBackend } from '../core/storage-backend.ts';
import { Bank } from '../bank/bank.ts';
import type { Secret } from '../bank/keys.ts';
import { openBackend, parseBankLocation, type S3Options } from '../storage/open-backend.ts';
import type { Streams } from './output.ts';
import { promptHidden } from './prompt.ts';

export interface CliEnvironment extends Streams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** CAIRN_PASSPHRASE */
  passphrase?: string;
  /** CAIRN_NEW_PASSPHRASE, for `bank passwd` without a terminal */
  newPassphrase?: string;
  /** S3 settings from the AWS_* variables; flags override them. */
  s3: S3Options;
  /** Where `cairn login` keeps the session: $CAIRN_CONFIG_DIR, else $XDG_CONFIG_HOME/cairn, else ~/.config/cairn. */
  configDir: string;
  /** CAIRN_URL and CAIRN_TOKEN: a server and token that take the place of the saved session (scripts, CI). */
  server?: { url: string; token: string };
  /** CAIRN_PASSWORD: the password `cairn login` uses without a terminal. */
  password?: string;
}

/** Options shared by every command that opens a bank. */
export interface BankOptions {
  bank: string;
  passphraseFile?: string;
  keyFile?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
}

export function openStorage(env: CliEnvironment, opts: BankOptions): Promise<StorageBackend> {
  const s3: S3Options = { ...env.s3 };
  if (opts.s3Endpoint) s3.endpoint = opts.s3Endpoint;
  if (opts.s3Region) s3.region = opts.s3Region;
  if (opts.s3PathStyle) s3.forcePathStyle = true;
  return openBackend(parseBankLocation(opts.bank, s3));
}

/** The secret that unlocks a bank: a key file when given, else the passphrase from file, environment or prompt. */
export async function resolveSecret(env: CliEnvironment, opts: BankOptions, purpose = 'Bank passphrase'): Promise<Secret> {
  if (opts.keyFile) return { keyFile: await readSecretFile(opts.keyFile, 'key file') };
  return { passphrase: await resolvePassphrase(env, opts, purpose) };
}

export async function resolvePassphrase(env: CliEnvironment, opts: { passphraseFile?: string }, purpose: string): Promise<string> {
  if (opts.passphraseFile) return (await readSecretFile(opts.passphraseFile, 'passphrase file')).toString('utf8').replace(/\r?\n$/, '');
  if (env.passphrase !== undefined) return env.passphrase;
  if (env.stdin.isTTY && env.stderr.isTTY) return promptHidden(env, `${purpose}: `);
  throw new CairnError('bad-input', 'no passphrase: set CAIRN_PASSPHRASE, pass --passphrase-file <file>, or run on a terminal to be asked');
}

export async function openBank(env: CliEnvironment, opts: BankOptions): Promise<Bank> {
  const storage = await openStorage(env, opts);
  try {
    await Bank.describe(storage); // "not a bank" before asking for a passphrase
    return await Bank.open(storage, await resolveSecret(env, opts));
  } catch (err) {
    await storage.close();
    throw err;
  }
}

async function readSecretFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CairnError('bad-input', `cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}
