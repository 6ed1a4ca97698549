// The one way the dashboard talks to the API: the caller's key as a bearer token, JSON bodies,
// `{ success, data }` unwrapped, and every failure as an ApiError carrying the problem document.
import { session } from './session';

export type ProblemDetails = string | Record<string, unknown> | unknown[] | null | undefined;

export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  error?: string;
  details?: ProblemDetails;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.error ?? problem.title ?? `Request failed (${problem.status})`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** A sentence (or field errors) telling what to change. */
  get details(): ProblemDetails {
    return this.problem.details ?? this.problem.detail;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Use this key instead of the session's (sign-in checks a key before keeping it). */
  key?: string | null;
  /** Leave the session alone on a 401 (sign-in reports it itself). */
  keepSessionOn401?: boolean;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function authHeaders(key = session.key()): Record<string, string> {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Reads a failed response into a problem, whatever its body. */
export async function problemOf(response: Response): Promise<Problem> {
  let body: unknown = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    return { status: response.status, ...(body as Record<string, unknown>) } as Problem;
  }
  return {
    status: response.status,
    error: response.status === 404 ? 'Not found' : `The server answered ${response.status} ${response.statusText}`.trim(),
    details: response.status >= 500 ? 'Something went wrong on the server; try again in a moment.' : undefined,
  };
}

/** Called for every 401: the key is no longer good, so the session ends and sign-in shows. */
export function handleUnauthorized() {
  session.end('expired');
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    ...authHeaders(options.key === undefined ? session.key() : options.key),
    ...options.headers,
  };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }

  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError({
      status: 0,
      error: 'The server cannot be reached',
      details: 'Check your connection; the dashboard retries on its own where it can.',
    });
  }

  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401 && !options.keepSessionOn401) handleUnauthorized();
    throw new ApiError(problem);
  }
  if (response.status === 204) return undefined as T;
  const json = (await response.json()) as { success?: boolean; data?: T };
  return (json && typeof json === 'object' && 'data' in json ? json.data : json) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(path, { method: 'POST', body, headers }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  delete: <T>(path: string) => request<T>(path, { method: 'DELETE' }),
};
