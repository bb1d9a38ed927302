// The console's one way to call the platform API: same-origin fetch with the session cookies,
// the CSRF header on every change, one silent session refresh on 401, and errors as ApiError.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CSRF_COOKIE = 'ds_csrf';

function csrfToken(): string | undefined {
  if (typeof document === 'undefined') return undefined;
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Do not try a session refresh on 401 (the session endpoints themselves). */
  noRefresh?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

let refreshing: Promise<boolean> | undefined;

/** Trades the refresh cookie for a new access cookie; one refresh at a time for every caller. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('/api/auth/session/refresh', { method: 'POST', noRefresh: true })
    .then(() => true, () => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

export function urlOf(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof Blob || options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const response = await fetch(urlOf(path, options.query), { method, headers, body, credentials: 'same-origin', signal: options.signal });
  if (response.ok) return response;
  if (response.status === 401 && !options.noRefresh && csrfToken() && (await refreshSession())) {
    return send(path, { ...options, noRefresh: true });
  }
  throw await errorOf(response);
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'UNKNOWN';
  let message = `${response.status} ${response.statusText || 'request failed'}`;
  let details: unknown;
  try {
    const json = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (json.error?.message) message = json.error.message;
    if (json.error?.code) code = json.error.code;
    details = json.error?.details;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message, details);
}

/** Calls the API and parses its JSON answer (undefined for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return (await response.text()) as T;
  return (await response.json()) as T;
}

/** A readable message for any failure a query or mutation can raise. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** One path segment for a repository name: "team/app" travels as "team%2Fapp". */
export const repoPath = (name: string) => encodeURIComponent(name);
