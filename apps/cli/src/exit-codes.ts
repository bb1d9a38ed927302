// The CLI's documented, stable exit codes, and the one error type commands throw to pick one.
import { PlatformApiError } from '@docksphere/client';

export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, denied: 4, unavailable: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with its exit code and a message meant for the user (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code of an HTTP status from the server. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  if (status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  return EXIT.error;
}

/** Any thrown value as a CliError: API errors by status, network failures as "unavailable". */
export function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof PlatformApiError) {
    const hint = err.status === 401 ? ' (log in again: docksphere login)' : '';
    return new CliError(`${err.body.error.message || err.code} [${err.code}]${hint}`, exitCodeOfStatus(err.status));
  }
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new CliError(`cannot reach the server: ${cause?.code ?? cause?.message ?? err.message}`, EXIT.unavailable);
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.error);
}
