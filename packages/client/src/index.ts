// The typed client of the DockSphere platform API, for the console (browser), the CLI and tests
// (Node 20): paths and bodies typed from the OpenAPI document (api-types.ts, generated), a fetch
// runtime (openapi-fetch), console-session or token auth, errors as values, cursor pagination.
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './api-types.ts';
import { CookieJar, SESSION, csrfFromDocument } from './session.ts';

export type { components, paths } from './api-types.ts';
export { CookieJar, SESSION } from './session.ts';

/** Every platform API error: `{ error: { code, message, details } }`. */
export type ApiErrorBody = components['schemas']['ErrorReply'];
export type ApiErrorCode = ApiErrorBody['error']['code'];

/**
 * How requests authenticate:
 * - `{ token }`: a personal access token or robot token (or a console access token) as Bearer;
 * - `{ session: 'browser' }`: the console in a browser: the browser sends the session cookies, the
 *   client echoes the CSRF cookie in the CSRF header on state-changing requests;
 * - `{ session: jar }`: the same outside a browser (Node), with the cookies kept in a CookieJar;
 * - nothing: anonymous.
 */
export type ClientAuth = { token: string } | { session: 'browser' | CookieJar } | undefined;

export interface PlatformClientOptions {
  /** Where the platform answers, e.g. "https://registry.example.com" (the browser: '' or location.origin). */
  baseUrl: string;
  auth?: ClientAuth;
  /** Replaces globalThis.fetch (tests, proxies). */
  fetch?: (request: Request) => Promise<Response>;
}

export type PlatformClient = Client<paths> & {
  /** Changes how later requests authenticate (after a login, a logout or a token switch). */
  setAuth(auth: ClientAuth): void;
  /** The cookie jar of `{ session: jar }` auth, if any. */
  readonly jar: CookieJar | undefined;
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  // A proxy's answer when the service behind it is down or slow.
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'UNAVAILABLE',
};

/** An error answer that is not the platform's JSON (a proxy's HTML page) as the platform's error body. */
async function normalizedError(response: Response): Promise<Response> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return response;
  const text = (await response.text()).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  const body: ApiErrorBody = {
    error: { code: CODE_BY_STATUS[response.status] ?? (response.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message: text.slice(0, 300) || `HTTP ${response.status}` },
  };
  return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers: { 'content-type': 'application/json' } });
}

export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  let auth: ClientAuth = options.auth;
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: baseFetch,
    // The browser sends the session cookies to its own origin.
    credentials: 'same-origin',
  });

  const authenticate: Middleware = {
    onRequest({ request }) {
      if (!auth) return request;
      if ('token' in auth) {
        request.headers.set('authorization', `Bearer ${auth.token}`);
        return request;
      }
      const jar = auth.session === 'browser' ? undefined : auth.session;
      if (jar) {
        const cookie = jar.header(new URL(request.url).pathname);
        if (cookie) request.headers.set('cookie', cookie);
      }
      if (UNSAFE.has(request.method)) {
        const csrf = jar ? jar.get(SESSION.csrfCookie) : csrfFromDocument();
        if (csrf) request.headers.set(SESSION.csrfHeader, csrf);
      }
      return request;
    },
    async onResponse({ response }) {
      if (auth && 'session' in auth && auth.session !== 'browser') auth.session.store(response.headers);
      return response.ok ? response : normalizedError(response);
    },
  };
  client.use(authenticate);

  return Object.assign(client, {
    setAuth(next: ClientAuth) {
      auth = next;
    },
    get jar() {
      return auth && 'session' in auth && auth.session !== 'browser' ? auth.session : undefined;
    },
  });
}

/** A failed call, for code that prefers exceptions (unwrap, pagination). */
export class PlatformApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.error.code}: ${body.error.message}`);
    this.name = 'PlatformApiError';
  }

  get code(): ApiErrorCode {
    return this.body.error.code;
  }
}

interface CallResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function asErrorBody(error: unknown, status: number): ApiErrorBody {
  if (typeof error === 'object' && error !== null && 'error' in error) return error as ApiErrorBody;
  return { error: { code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message: typeof error === 'string' ? error : `HTTP ${status}` } };
}

/** The data of a successful call, or a PlatformApiError with the error body. */
export async function unwrap<T>(call: Promise<CallResult<T>> | CallResult<T>): Promise<T> {
  const result = await call;
  if (result.error !== undefined || !result.response.ok) throw new PlatformApiError(result.response.status, asErrorBody(result.error, result.response.status));
  return result.data as T;
}

/** A page of every list: `items`, and `nextCursor` to pass back as `cursor` (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

type ItemOf<P> = P extends Page<infer T> ? T : never;

/**
 * Every page of a list, following nextCursor until the last page:
 *
 *     for await (const page of pages((cursor) => client.GET('/api/repositories', { params: { query: { cursor } } }))) …
 */
export async function* pages<P extends Page<unknown>>(fetchPage: (cursor: string | undefined) => Promise<CallResult<P>>, options: { maxPages?: number } = {}): AsyncGenerator<P> {
  let cursor: string | undefined;
  for (let n = 0; options.maxPages === undefined || n < options.maxPages; n++) {
    const page = await unwrap(fetchPage(cursor));
    yield page;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** Every item of a list, page after page. */
export async function* items<P extends Page<unknown>>(fetchPage: (cursor: string | undefined) => Promise<CallResult<P>>): AsyncGenerator<ItemOf<P>> {
  for await (const page of pages(fetchPage)) yield* page.items as ItemOf<P>[];
}

/** Every item of a list in one array, refusing to read more than `limit` items. */
export async function collect<P extends Page<unknown>>(fetchPage: (cursor: string | undefined) => Promise<CallResult<P>>, limit = 10_000): Promise<ItemOf<P>[]> {
  const all: ItemOf<P>[] = [];
  for await (const item of items(fetchPage)) {
    if (all.length === limit) throw new Error(`more than ${limit} items: page through them instead`);
    all.push(item);
  }
  return all;
}
