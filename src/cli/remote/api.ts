/** A client of a Cairn server's REST API: JSON in and out, problem documents turned into errors that say what to do. */
import { CairnError, type ErrorCode } from '../../core/errors.ts';
import type { Session } from './session.ts';

export interface Page<T> { items: T[]; next: string | null }

function codeOf(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'denied';
  if (status === 404) return 'not-found';
  if (status === 409) return 'locked';
  if (status >= 500) return 'storage';
  return 'bad-input';
}

export class ApiClient {
  readonly url: string;
  readonly #token: string | undefined;

  constructor(url: string, token?: string) {
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
  }

  static of(s: Session): ApiClient {
    return new ApiClient(s.url, s.token);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.#send(method, path, body, 'application/json');
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A GET whose answer is not JSON (a CSV export), as the server sent it. */
  text(path: string, accept: string): Promise<string> {
    return this.#send('GET', path, undefined, accept);
  }

  async #send(method: string, path: string, body: unknown, accept: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new CairnError('storage', `cannot reach the Cairn server at ${this.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, { transient: true });
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch { /* not a problem document: the text itself */ }
      if (res.status === 401 && this.#token) detail += ' (run cairn login again)';
      throw new CairnError(codeOf(res.status), `${detail || res.statusText} [${res.status}]`);
    }
    return text;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  /** Every item of a paged list. */
  async all<T extends { id: string }>(path: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let after: string | null = null; ;) {
      const page: Page<T> = await this.get<Page<T>>(`${path}${sep}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }
}
