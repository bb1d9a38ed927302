// Small request helpers the /v2 route files share: body presence, declared lengths, query values.
import type { FastifyRequest } from 'fastify';
import { RegistryError } from '@docksphere/oci';

/**
 * The Content-Type of /v2's plain JSON documents (base, tags, catalog, errors), spelled out as
 * distribution sends it rather than left to Fastify, which appends a charset to JSON-ish types.
 */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Whether the request carries a body (a length above zero, or chunked transfer encoding). */
export function hasBody(request: FastifyRequest): boolean {
  const te = request.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = request.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

export function declaredLength(request: FastifyRequest): number | undefined {
  const cl = request.headers['content-length'];
  if (cl === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cl)) throw new RegistryError('SIZE_INVALID', 'Content-Length is not a number');
  return Number(cl);
}

/**
 * One query parameter as a string, or undefined. A parameter that means one value (digest, mount,
 * from, n, last...) given twice is ambiguous, so it is refused rather than one of them picked.
 */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const q = request.query as Record<string, string | string[] | undefined>;
  const v = q[name];
  if (Array.isArray(v)) {
    const code = name === 'digest' || name === 'mount' ? 'DIGEST_INVALID' : name === 'n' ? 'PAGINATION_NUMBER_INVALID' : 'UNSUPPORTED';
    throw new RegistryError(code, `query parameter ${name} is given more than once`, { parameter: name }, { status: 400 });
  }
  return v;
}

/** Every value of a query parameter, in order (none: empty). */
export function queryValues(request: FastifyRequest, name: string): string[] {
  const q = request.query as Record<string, string | string[] | undefined>;
  const v = q[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** A page size: absent -> the maximum; otherwise a non-negative integer, clamped to the maximum. */
export function pageSize(request: FastifyRequest, max: number): number {
  const raw = queryValue(request, 'n');
  if (raw === undefined || raw === '') return max;
  if (!/^\d+$/.test(raw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: raw.slice(0, 50) });
  // The spec lets a registry return fewer than n when it sends a Link to the rest: clamp, don't refuse.
  // Digits beyond the maximum's length cannot make it smaller: compare lengths first (no float overflow).
  return raw.replace(/^0+(?=\d)/, '').length > String(max).length ? max : Math.min(Number(raw), max);
}

export function etagMatches(request: FastifyRequest, etag: string): boolean {
  const inm = request.headers['if-none-match'];
  if (inm === undefined) return false;
  return inm.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}
