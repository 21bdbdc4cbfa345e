/**
 * The session `cairn login` saves: the server's URL and a bearer token, in a file only its owner can
 * read (mode 0600, in a directory of mode 0700). CAIRN_URL with CAIRN_TOKEN take its place.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';

export interface Session { url: string; token: string; tokenId?: string; username?: string; expiresAt?: string }

const file = (env: CliEnvironment): string => join(env.configDir, 'session.json');

export async function saveSession(env: CliEnvironment, s: Session): Promise<string> {
  await mkdir(env.configDir, { recursive: true, mode: 0o700 });
  const path = file(env);
  // Written under a fresh mode, then narrowed again: a file left by an older version keeps no wider mode.
  await rm(path, { force: true });
  await writeFile(path, JSON.stringify(s, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return path;
}

export async function loadSession(env: CliEnvironment): Promise<Session> {
  if (env.server) return env.server;
  const text = await readFile(file(env), 'utf8').catch(() => undefined);
  if (text === undefined) throw new CairnError('denied', 'not signed in to a Cairn server: run cairn login <url> (or set CAIRN_URL and CAIRN_TOKEN)');
  try {
    return JSON.parse(text) as Session;
  } catch {
    throw new CairnError('bad-input', `${file(env)} is not a session Cairn saved: run cairn login <url> again`);
  }
}

export async function hasSession(env: CliEnvironment): Promise<boolean> {
  return env.server !== undefined || (await readFile(file(env)).then(() => true, () => false));
}

export async function clearSession(env: CliEnvironment): Promise<void> {
  await rm(file(env), { force: true });
}
