/**
 * The signed-in session: a bearer token from POST /v1/tokens, kept in sessionStorage so that it lives
 * as long as the browser tab (a reload keeps it, another tab or a closed browser does not) and is
 * never written to disk by the console.
 */
import { apiRequest } from './api.ts';

export interface Session {
  token: string;
  tokenId: string;
  expiresAt: string;
}

const KEY = 'cairn.session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    const s = JSON.parse(text) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.tokenId !== 'string' || typeof s.expiresAt !== 'string') return null;
    if (Date.parse(s.expiresAt) <= Date.now()) return null;
    return { token: s.token, tokenId: s.tokenId, expiresAt: s.expiresAt };
  } catch {
    return null;
  }
}

export async function signIn(username: string, password: string): Promise<Session> {
  const t = await apiRequest<{ id: string; token: string; expiresAt: string }>('/v1/tokens', {
    body: { username, password, name: 'web console' },
  });
  const session = { token: t.token, tokenId: t.id, expiresAt: t.expiresAt };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Revokes the token on the server, then forgets it; forgotten even when the server cannot be told (it expires). */
export async function signOut(session: Session): Promise<void> {
  try {
    await apiRequest(`/v1/tokens/${encodeURIComponent(session.tokenId)}`, { method: 'DELETE', token: session.token });
  } catch {
    // Already expired or revoked, or the server is away: the token is useless to keep either way.
  } finally {
    forgetSession();
  }
}

export function forgetSession(): void {
  sessionStorage.removeItem(KEY);
}
