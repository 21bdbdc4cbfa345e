/**
 * cairn users [create <username>]: accounts (operators). A new account's password is read from a file,
 * standard input (--password-file -) or a prompt, never from the command line, where other users of
 * the machine could read it in the process list.
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { printJson, table } from '../output.ts';
import { promptHidden } from '../prompt.ts';
import { remote } from './operations.ts';

interface UserJson { id: string; username: string; operator: boolean; disabled: boolean; createdAt: string }

export async function usersList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const users = await (await remote(env)).all<UserJson>('/v1/users');
  if (opts.json) return printJson(env, users);
  env.stdout.write(table([['ID', 'USERNAME', 'OPERATOR', 'DISABLED', 'CREATED'], ...users.map((u) => [u.id, u.username, u.operator ? 'yes' : '', u.disabled ? 'yes' : '', u.createdAt])]));
}

export async function userCreate(env: CliEnvironment, username: string, opts: { operator?: boolean; passwordFile?: string; json?: boolean }): Promise<void> {
  const api = await remote(env);
  const password = await newPassword(env, username, opts.passwordFile);
  const u = await api.post<UserJson>('/v1/users', { username, password, operator: !!opts.operator });
  if (opts.json) return printJson(env, u);
  env.stdout.write(`user ${u.id} (${u.username})${u.operator ? ', an operator' : ''}; give it a tenant with cairn tenants add-member <tenant> ${u.username} --role <role>\n`);
}

async function newPassword(env: CliEnvironment, username: string, file: string | undefined): Promise<string> {
  if (file !== undefined) {
    const read = file === '-' ? text(env.stdin) : readFile(file, 'utf8');
    return (await read.catch((err: Error) => {
      throw new CairnError('bad-input', `cannot read the password ${file === '-' ? 'from standard input' : `file ${file}`}: ${err.message}`);
    })).replace(/\r?\n$/, '');
  }
  if (!(env.stdin.isTTY && env.stderr.isTTY)) throw new CairnError('bad-input', 'no password for the new account: pass --password-file <file> (- for standard input), or run on a terminal to be asked');
  const first = await promptHidden(env, `Password for ${username}: `);
  if (first !== await promptHidden(env, `Password for ${username} (again): `)) throw new CairnError('bad-input', 'the two passwords differ; no account was made');
  return first;
}
