// A signed-in API client for tests that drive a running `cairn server` as a user would.
import assert from 'node:assert/strict';
import { call } from './cairn-server.ts';

export interface Api {
  token: string;
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  send<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Polls an operation until it ends; returns it with its log. */
  finished(operationId: string, timeoutMs?: number): Promise<OperationJson>;
}

export interface OperationJson {
  id: string; type: string; state: string; error: string | null; attempts: number; result: Record<string, unknown> | null;
  progress: Record<string, unknown> | null; log: { level: string; message: string }[];
}

export async function signIn(url: string, username: string, password: string): Promise<Api> {
  const res = await call(`${url}/v1/tokens`, { body: { username, password } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const token = String(res.body.token);
  const api: Api = {
    token,
    get: async <T>(path: string) => (await call(`${url}${path}`, { token })) as unknown as { status: number; body: T },
    send: async <T>(method: string, path: string, body?: unknown) => (await call(`${url}${path}`, { method, token, ...(body === undefined ? {} : { body }) })) as unknown as { status: number; body: T },
    async finished(operationId, timeoutMs = 300_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const op = await api.get<OperationJson>(`/v1/operations/${operationId}`);
        assert.equal(op.status, 200, JSON.stringify(op.body));
        if (['succeeded', 'failed', 'cancelled'].includes(op.body.state)) return op.body;
        if (Date.now() > deadline) assert.fail(`operation ${operationId} still ${op.body.state} after ${timeoutMs} ms: ${JSON.stringify(op.body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
  return api;
}
