// The one way the dashboard talks to the API: the caller's key as a bearer token, JSON bodies,
// `{ success, data }` unwrapped, and every failure as an ApiError carrying the problem document.
// `client` is openapi-fetch over the paths generated from the server's OpenAPI document (./schema.d.ts), so each
// call's path, parameters, body and answer are checked against the server's contract; `request` is for the few
// answers the document does not describe.
import createClient from 'openapi-fetch';
import type { paths } from './schema';
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

/** Sends a request with the dashboard's rules: JSON accepted, the key, and every failure thrown as an ApiError. */
async function send(request: Request, keepSessionOn401 = false): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(request);
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
    if (response.status === 401 && !keepSessionOn401) handleUnauthorized();
    throw new ApiError(problem);
  }
  return response;
}

/**
 * The typed API: `unwrap(client.GET('/api/datasets/{id}', { params: { path: { id } }, signal }))`. Its fetch adds
 * the session's key (read at each call) and throws every failure as an ApiError, so a call either answers the
 * success body or throws, and openapi-fetch's `error` branch never happens.
 */
export const client = createClient<paths>({
  fetch: (input: Request) => {
    if (!input.headers.has('Accept')) input.headers.set('Accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders())) input.headers.set(name, value);
    return send(input);
  },
});

/** The `data` of a success body `{ success, data }` as the document types it, or the body itself where it has none. */
type DataOf<R> = R extends { data: infer Body } ? (Body extends { success: boolean; data: infer D } ? NonNullable<D> : Body) : never;

/** Awaits a `client` call and answers what its `{ success, data }` body carries. */
export async function unwrap<R extends { data?: unknown }>(call: Promise<R>): Promise<DataOf<R>> {
  const { data: body } = await call;
  return (body && typeof body === 'object' && 'data' in body ? body.data : body) as DataOf<R>;
}

/** An untyped call, for the answers the OpenAPI document does not describe (and for sign-in's own key). */
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

  const response = await send(
    new Request(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    }),
    options.keepSessionOn401,
  );
  if (response.status === 204) return undefined as T;
  const json = (await response.json()) as { success?: boolean; data?: T };
  return (json && typeof json === 'object' && 'data' in json ? json.data : json) as T;
}
