// The console's one way to call the platform API: packages/client (typed from the OpenAPI
// document) with the browser session, one silent session refresh on 401, errors as ApiError.
import { createPlatformClient, PlatformApiError, SESSION, unwrap } from '@docksphere/client';

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

/** The one platform client of the page: console-session auth (cookies, CSRF header), same origin. */
export const platform = createPlatformClient({ baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin, auth: { session: 'browser' } });

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
  refreshing ??= unwrap(platform.POST('/api/auth/session/refresh'))
    .then(() => true, () => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

function signedIn(): boolean {
  return typeof document !== 'undefined' && document.cookie.split(';').some((c) => c.trim().startsWith(`${SESSION.csrfCookie}=`));
}

/**
 * Calls the platform API through packages/client with a path already filled in (the console's
 * screens build paths from names they hold) and returns the parsed answer; 204 gives undefined.
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? 'GET').toLowerCase() as 'get';
  const raw = options.body instanceof Blob;
  const init = {
    params: { query: Object.fromEntries(Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined && v !== '')) },
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(raw ? { bodySerializer: (b: unknown) => b } : {}),
    headers: options.headers,
    signal: options.signal,
  };
  try {
    const data = await unwrap(platform.request(method, path as never, init as never));
    return data as T;
  } catch (err) {
    if (err instanceof PlatformApiError) {
      if (err.status === 401 && !options.noRefresh && signedIn() && (await refreshSession())) return api<T>(path, { ...options, noRefresh: true });
      throw new ApiError(err.status, err.body.error.code, err.body.error.message, err.body.error.details);
    }
    throw err;
  }
}

/** A readable message for any failure a query or mutation can raise. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** One path segment for a repository name: "team/app" travels as "team%2Fapp". */
export const repoPath = (name: string) => encodeURIComponent(name);
