// The platform's JSON API as the e2e suites call it: the typed client (@docksphere/client) as a
// user with a console access token or anonymously, a console login, and a status assertion that
// shows the answer when it differs.
import { expect } from 'vitest';
import { createPlatformClient, type PlatformClient } from '@docksphere/client';

/** The platform API at baseUrl, with `token` as Bearer (anonymous without). */
export function platformApi(baseUrl: string, token?: string): PlatformClient {
  return createPlatformClient({ baseUrl, ...(token ? { auth: { token } } : {}) });
}

/** Logs in with a password and returns the console access token. */
export async function consoleLogin(baseUrl: string, username: string, password: string): Promise<string> {
  const { data, error, response } = await platformApi(baseUrl).POST('/api/auth/login', { body: { username, password } });
  if (!data || !('accessToken' in data)) throw new Error(`console login ${username}: ${response.status} ${JSON.stringify(error ?? data)}`);
  return data.accessToken;
}

/** Asserts the call answered `status` (showing the body otherwise) and returns its data. */
export async function expectStatus<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>, status: number): Promise<T> {
  const { data, error, response } = await call;
  expect(response.status, JSON.stringify(error ?? data)).toBe(status);
  return data as T;
}
