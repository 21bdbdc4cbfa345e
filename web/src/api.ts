/**
 * The console's only way to the server: the same /v1 REST API the CLI speaks, with the session's
 * bearer token. Failures become ApiError with the problem document's `detail`, which the API writes
 * for people, so pages show it as it is.
 */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(path, options, 'application/json');
  const text = await res.text();
  const body = parse(text);
  if (!res.ok) throw refusal(res, body);
  return body as T;
}

/** A file the API makes (a CSV report), as it came, for the page to save; a refusal is an ApiError as above. */
export async function apiBlob(path: string, options: RequestOptions = {}): Promise<Blob> {
  const res = await send(path, options, '*/*');
  if (!res.ok) throw refusal(res, parse(await res.text()));
  return res.blob();
}

async function send(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    return await fetch(path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new ApiError(0, 'The Cairn server cannot be reached. Check that it runs, then try again.');
  }
}

function refusal(res: Response, body: unknown): ApiError {
  return new ApiError(res.status, detailOf(body) ?? `The server answered ${res.status} ${res.statusText}.`);
}

/** Every item of a paged list (`items` and `next`, see the API's pagination), following `next`. */
export async function listAll<T>(path: string, options: RequestOptions): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${path}${sep}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const page: { items: T[]; next: string | null } = await apiRequest(url, options);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function detailOf(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'detail' in body && typeof body.detail === 'string') return body.detail;
  return undefined;
}
