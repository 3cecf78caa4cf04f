import type { ErrorCode, Problem } from '@campusg/contracts';

/**
 * A failed API call, read from its `application/problem+json` body. `fields` maps each invalid
 * field's path (`store.name`, `items[0].quantity`) to its message, for showing next to the field.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'NETWORK';
  readonly fields: Record<string, string>;
  /** Seconds the server asked the client to wait before trying again (`Retry-After`), if it said. */
  readonly retryAfterS: number | null;

  constructor(status: number, problem: Partial<Problem>, retryAfterS: number | null = null) {
    super(problem.detail ?? problem.title ?? `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code ?? (status === 0 ? 'NETWORK' : 'INTERNAL');
    this.fields = Object.fromEntries((problem.errors ?? []).map((e) => [e.path, e.message]));
    this.retryAfterS = retryAfterS;
  }
}

/** A `Retry-After` header in seconds: a number of seconds, or an HTTP date measured from `now`. */
export function retryAfterSeconds(header: string | null, now: number): number | null {
  if (!header) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export const isApiError = (error: unknown, code?: ApiError['code']): error is ApiError =>
  error instanceof ApiError && (code === undefined || error.code === code);

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
}

/**
 * One call to the same-origin API. The session is the HttpOnly `campusg_session` cookie that
 * register/login set, so no token is kept in script-readable storage.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) {
      // A list repeats its key (`status=A&status=B`).
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) params.append(key, String(one));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, { title: 'Cannot reach CampusG. Check your connection and try again.' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok)
    throw new ApiError(res.status, (data ?? {}) as Partial<Problem>, retryAfterSeconds(res.headers.get('retry-after'), Date.now()));
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
