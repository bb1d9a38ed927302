import { describe, expect, it } from 'vitest';
import { RegistryError, registryErrorBody, registryErrorTable } from './errors.ts';

describe('the /v2 error table', () => {
  it('gives each spec code its status', () => {
    const statuses = Object.fromEntries(Object.entries(registryErrorTable).map(([code, e]) => [code, e.status]));
    expect(statuses).toEqual({
      BLOB_UNKNOWN: 404,
      BLOB_UPLOAD_INVALID: 400,
      BLOB_UPLOAD_UNKNOWN: 404,
      DIGEST_INVALID: 400,
      MANIFEST_BLOB_UNKNOWN: 404,
      MANIFEST_INVALID: 400,
      MANIFEST_UNKNOWN: 404,
      NAME_INVALID: 400,
      NAME_UNKNOWN: 404,
      SIZE_INVALID: 400,
      TAG_INVALID: 400,
      UNAUTHORIZED: 401,
      DENIED: 403,
      UNSUPPORTED: 405,
      TOOMANYREQUESTS: 429,
      RANGE_INVALID: 416,
      PAGINATION_NUMBER_INVALID: 400,
    });
  });

  it('a RegistryError takes status and message from the table unless overridden', () => {
    const plain = new RegistryError('BLOB_UNKNOWN');
    expect(plain).toBeInstanceOf(Error);
    expect([plain.code, plain.status, plain.message, plain.detail]).toEqual(['BLOB_UNKNOWN', 404, 'blob unknown to registry', undefined]);
    expect(plain.headers).toEqual({});

    const tooLarge = new RegistryError('MANIFEST_INVALID', 'manifest too large', { limit: 4 }, { status: 413 });
    expect([tooLarge.status, tooLarge.message]).toEqual([413, 'manifest too large']);

    const auth = new RegistryError('UNAUTHORIZED', undefined, undefined, { headers: { 'WWW-Authenticate': 'Bearer realm="x"' } });
    expect(auth.headers['WWW-Authenticate']).toBe('Bearer realm="x"');
  });

  it('registryErrorBody renders the spec envelope, leaving out absent detail', () => {
    const body = registryErrorBody([new RegistryError('NAME_UNKNOWN'), new RegistryError('DIGEST_INVALID', undefined, { digest: 'sha256:x' })]);
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      errors: [
        { code: 'NAME_UNKNOWN', message: 'repository name not known to registry' },
        { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { digest: 'sha256:x' } },
      ],
    });
    expect('detail' in (body.errors[0] ?? {})).toBe(false);
  });
});
