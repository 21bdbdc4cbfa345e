/** cairn login <url> | logout | whoami: a session with a Cairn server. */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { printJson } from '../output.ts';
import { promptHidden } from '../prompt.ts';
import { ApiClient } from '../remote/api.ts';
import { clearSession, loadSession, saveSession } from '../remote/session.ts';

export interface LoginOptions { username: string; passwordFile?: string; ttl?: string; json?: boolean }

export async function loginCommand(env: CliEnvironment, url: string, opts: LoginOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CairnError('bad-input', `${url} is not a URL: give the server's address, e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CairnError('bad-input', `${url}: a Cairn server is reached over http:// or https://`);
  const ttlSeconds = opts.ttl === undefined ? undefined : Number(opts.ttl);
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) throw new CairnError('bad-input', `--ttl ${opts.ttl}: give the token's lifetime in whole seconds`);
  const password = await loginPassword(env, opts);
  const api = new ApiClient(parsed.toString());
  const t = await api.post<{ id: string; token: string; expiresAt: string }>('/v1/tokens', { username: opts.username, password, name: 'cairn login', ...(ttlSeconds ? { ttlSeconds } : {}) });
  const path = await saveSession(env, { url: api.url, token: t.token, tokenId: t.id, username: opts.username, expiresAt: t.expiresAt });
  if (opts.json) return printJson(env, { url: api.url, username: opts.username, expiresAt: t.expiresAt, session: path });
  env.stdout.write(`signed in to ${api.url} as ${opts.username} until ${t.expiresAt}; the token is kept in ${path}\n`);
}

async function loginPassword(env: CliEnvironment, opts: LoginOptions): Promise<string> {
  if (opts.passwordFile) {
    const { readFile } = await import('node:fs/promises');
    return (await readFile(opts.passwordFile, 'utf8').catch((err: Error) => {
      throw new CairnError('bad-input', `cannot read the password file ${opts.passwordFile}: ${err.message}`);
    })).replace(/\r?\n$/, '');
  }
  if (env.password !== undefined) return env.password;
  if (env.stdin.isTTY && env.stderr.isTTY) return promptHidden(env, `Password for ${opts.username}: `);
  throw new CairnError('bad-input', 'no password: set CAIRN_PASSWORD, pass --password-file <file>, or run on a terminal to be asked');
}

export async function logoutCommand(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const s = await loadSession(env);
  // The token is revoked on the server too; a server gone or a token expired still ends the session here.
  const revoked = s.tokenId ? await ApiClient.of(s).request('DELETE', `/v1/tokens/${s.tokenId}`).then(() => true, () => false) : false;
  await clearSession(env);
  if (opts.json) return printJson(env, { url: s.url, revoked });
  env.stdout.write(`signed out of ${s.url}${revoked ? '' : ' (the server did not confirm the token\'s revocation)'}\n`);
}

export async function whoamiCommand(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const s = await loadSession(env);
  const me = await ApiClient.of(s).get<{ username: string; operator: boolean; tenants: { tenantId: string; tenantName?: string; role: string }[] }>('/v1/me');
  if (opts.json) return printJson(env, { url: s.url, ...me });
  env.stdout.write(`${me.username} at ${s.url}${me.operator ? ' (operator)' : ''}\n`);
  for (const t of me.tenants) env.stdout.write(`  ${t.role} of tenant ${t.tenantName ?? t.tenantId}\n`);
}
