// The error type of the platform APIs (/api/*, /auth/*): answered as {"error":{"code","message","details"}}.
// The /v2 API has its own table in @docksphere/oci; the two never mix.

export const apiErrorStatus = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof apiErrorStatus;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
    /** Overrides the code's usual status (e.g. a Fastify 404 or 406 kept as it was). */
    status?: number,
  ) {
    super(message);
    this.status = status ?? apiErrorStatus[code];
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

interface FrameworkErrorLike {
  statusCode?: number;
  message: string;
  validation?: { instancePath?: string; message?: string }[];
  validationContext?: string;
}

/**
 * The platform API's answer to an error thrown in a route: an ApiError as it is, a schema
 * validation failure or another client error from Fastify as the matching ApiError; undefined
 * for anything unexpected (the caller logs it and answers 500).
 */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const fe = error as FrameworkErrorLike;
  if (fe.validation) {
    const what = fe.validation.map((v) => `${v.instancePath || '/'} ${v.message ?? ''}`.trim()).join('; ');
    return new ApiError('VALIDATION_FAILED', `invalid ${fe.validationContext ?? 'request'}: ${what}`);
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ApiErrorCode = fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    // Fastify's own status (404, 405, 406 …) is kept where the code's usual one differs.
    return new ApiError(code, fe.message, undefined, {}, fe.statusCode);
  }
  return undefined;
}
