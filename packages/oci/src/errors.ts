// THE single table of /v2 error codes, their HTTP statuses and default messages, and the error type handlers throw.

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID';

/**
 * Statuses and messages from the OCI distribution spec's error code table (TAG_INVALID, RANGE_INVALID
 * and PAGINATION_NUMBER_INVALID from Docker's registry API, as distribution answers them).
 */
export const registryErrorTable: Readonly<Record<RegistryErrorCode, { readonly status: number; readonly message: string }>> =
  Object.freeze({
    BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
    BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
    BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
    DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
    MANIFEST_BLOB_UNKNOWN: { status: 404, message: 'manifest references a manifest or blob unknown to registry' },
    MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
    MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
    NAME_INVALID: { status: 400, message: 'invalid repository name' },
    NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
    SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
    TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
    UNAUTHORIZED: { status: 401, message: 'authentication required' },
    DENIED: { status: 403, message: 'requested access to the resource is denied' },
    UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
    TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
    RANGE_INVALID: { status: 416, message: 'invalid content range' },
    PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  });

export function isRegistryErrorCode(s: string): s is RegistryErrorCode {
  return Object.prototype.hasOwnProperty.call(registryErrorTable, s);
}

export interface RegistryErrorOptions {
  /** Overrides the table's status, e.g. 413 for a body over the size limit. */
  status?: number;
  /** Extra response headers, e.g. WWW-Authenticate for UNAUTHORIZED. */
  headers?: Record<string, string>;
}

/** One /v2 error: a spec code, a human message, optional JSON detail, and the HTTP status to answer with. */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: RegistryErrorCode, message?: string, detail?: unknown, options?: RegistryErrorOptions) {
    const entry = registryErrorTable[code];
    super(message ?? entry.message);
    this.name = 'RegistryError';
    this.code = code;
    this.status = options?.status ?? entry.status;
    this.detail = detail;
    this.headers = Object.freeze({ ...(options?.headers ?? {}) });
  }
}

export interface RegistryErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

/** The spec's error envelope: {"errors":[{code, message, detail?}]}; detail is left out when absent. */
export function registryErrorBody(errors: readonly RegistryError[]): RegistryErrorBody {
  return {
    errors: errors.map((e) => (e.detail === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, detail: e.detail })),
  };
}
