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

/** One query parameter as a string (the last one when repeated), or undefined. */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const q = request.query as Record<string, string | string[] | undefined>;
  const v = q[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return v;
}

/** A page size: absent -> the maximum; otherwise a non-negative integer, clamped to the maximum. */
export function pageSize(request: FastifyRequest, max: number): number {
  const raw = queryValue(request, 'n');
  if (raw === undefined || raw === '') return max;
  if (!/^\d{1,9}$/.test(raw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: raw.slice(0, 50) });
  // The spec lets a registry return fewer than n when it sends a Link to the rest: clamp, don't refuse.
  return Math.min(Number(raw), max);
}

export function etagMatches(request: FastifyRequest, etag: string): boolean {
  const inm = request.headers['if-none-match'];
  if (inm === undefined) return false;
  return inm.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}
