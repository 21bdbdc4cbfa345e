/**
 * The API as a signed-in page uses it: every call carries the session's token, and a 401 (the token
 * expired or was revoked elsewhere) ends the session, so the page asks to sign in again instead of
 * showing errors it cannot fix.
 */
import { ApiError, apiBlob, apiRequest, listAll } from './api.ts';
import type { Session } from './session.ts';

export interface Client {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  list<T>(path: string, signal?: AbortSignal): Promise<T[]>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  /** A file the API makes (GET /v1/usage?format=csv), to save with a Blob URL: a plain link would carry no token. */
  blob(path: string): Promise<Blob>;
}

export function clientFor(session: Session, onUnauthorized: () => void): Client {
  const guard = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onUnauthorized();
      throw err;
    }
  };
  return {
    get: (path, signal) => guard(apiRequest(path, { token: session.token, ...(signal ? { signal } : {}) })),
    list: (path, signal) => guard(listAll(path, { token: session.token, ...(signal ? { signal } : {}) })),
    post: (path, body) => guard(apiRequest(path, { method: 'POST', token: session.token, ...(body === undefined ? {} : { body }) })),
    patch: (path, body) => guard(apiRequest(path, { method: 'PATCH', token: session.token, body })),
    delete: (path) => guard(apiRequest(path, { method: 'DELETE', token: session.token })),
    put: (path, body) => guard(apiRequest(path, { method: 'PUT', token: session.token, body })),
    blob: (path) => guard(apiBlob(path, { token: session.token })),
  };
}
