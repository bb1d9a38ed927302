// Our TypeScript port of what the OCI distribution-spec conformance suite checks (the Pull, Push,
// Content Discovery and Content Management workflows, with referrers), plus the MUST-level
// statuses, headers and bodies of spec.md that the official suite leaves out. It defines vitest
// blocks against any registry; see e2e/conformance/README.md for the checklist and how to run it.
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { RegistryClient, type RegistryRequest, type RegistryResponse } from './client.ts';
import {
  ANNOTATION_KEY,
  ARTIFACT_TYPE_A,
  EMPTY_JSON_SHA256,
  MediaType,
  chunkedBlob,
  digestMatches,
  generateContent,
  type Blob,
  type HashAlgorithm,
  type Manifest,
  type TestContent,
} from './content.ts';

export interface ConformanceTarget {
  /** Registry root, e.g. http://127.0.0.1:5000. */
  url: string;
  username?: string;
  password?: string;
  /** Repository the workflows push to (OCI_NAMESPACE). */
  namespace: string;
  /** Second repository for cross-repository mounts (OCI_CROSSMOUNT_NAMESPACE). */
  crossmountNamespace: string;
  /** Digest algorithm of every blob and manifest the suite pushes (default sha256). */
  hashAlgorithm?: HashAlgorithm;
}

export interface ConformanceOptions {
  pull: boolean;
  push: boolean;
  contentDiscovery: boolean;
  contentManagement: boolean;
  /** Referrers API checks and the subject/OCI-Subject push checks. */
  referrers: boolean;
  /** OCI_AUTOMATIC_CROSSMOUNT: true expects 201, false expects 202 for a mount without `from`; unset accepts either. */
  automaticCrossmount?: boolean;
  /** OCI_DELETE_MANIFEST_BEFORE_BLOBS (default true): teardown order. */
  deleteManifestBeforeBlobs?: boolean;
  /**
   * Titles of checks the target is known to fail (only for validating the suite against an older
   * reference registry). They run as `it.fails`, so they still prove the check can detect the deviation.
   */
  knownDeviations?: readonly string[];
}

/** Every code in spec.md's error code table. */
export const SPEC_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
] as const;

const OCTET = 'application/octet-stream';
const NONEXISTENT_REFERENCE = '.INVALID_MANIFEST_NAME';

/** A request/response summary for failure messages, so a failing check can be filed as a bug as-is. */
function describeExchange(req: RegistryRequest, res: RegistryResponse): string {
  const headers = Object.entries(res.headers)
    .filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n    ');
  const body = res.body.length === 0 ? '(empty)' : res.body.subarray(0, 600).toString('utf8');
  const cut = res.incomplete ? ' (connection closed before the announced body arrived)' : '';
  return `${req.method} ${res.url}\n  -> ${res.status}\n    ${headers}\n  body: ${body}${cut}`;
}

export function defineConformanceSuite(target: () => ConformanceTarget, options: ConformanceOptions): void {
  const deleteManifestBeforeBlobs = options.deleteManifestBeforeBlobs ?? true;
  const deviations = new Set(options.knownDeviations ?? []);

  let client!: RegistryClient;
  let t!: ConformanceTarget;
  let c!: TestContent;
  let name!: string;

  /** `it`, or `it.fails` for a declared deviation of the target. */
  function check(title: string, fn: (ctx: TestContext) => Promise<void>): void {
    if (deviations.has(title)) it.fails(`${title} [known deviation of this target]`, fn);
    else it(title, fn);
  }

  async function call(req: RegistryRequest): Promise<{ req: RegistryRequest; res: RegistryResponse; where: string }> {
    const res = await client.request(req);
    return { req, res, where: describeExchange(req, res) };
  }

  function expectStatus(x: { res: RegistryResponse; where: string }, ...allowed: number[]): void {
    expect(allowed, `unexpected status\n${x.where}`).toContain(x.res.status);
  }

  function expect2xx(x: { res: RegistryResponse; where: string }): void {
    expect(x.res.status >= 200 && x.res.status < 300, `expected 2xx\n${x.where}`).toBe(true);
  }

  /** spec.md: a JSON error body MUST be `{"errors":[{"code","message","detail"?}]}`; `codes` are the acceptable first codes. */
  function expectErrorBody(x: { res: RegistryResponse; where: string }, codes: readonly string[]): void {
    let parsed: unknown;
    try {
      parsed = x.res.json();
    } catch {
      expect.fail(`expected an OCI error body (JSON) with code ${codes.join(' or ')}\n${x.where}`);
    }
    const errors = (parsed as { errors?: unknown }).errors;
    expect(Array.isArray(errors) && errors.length > 0, `error body must have a non-empty "errors" array\n${x.where}`).toBe(true);
    for (const e of errors as { code?: unknown; message?: unknown }[]) {
      expect(typeof e.code, `each error must have a string code\n${x.where}`).toBe('string');
      expect(e.message === undefined || typeof e.message === 'string', `error message must be a string\n${x.where}`).toBe(true);
    }
    const first = (errors as { code: string }[])[0]!.code;
    expect(codes, `unexpected error code\n${x.where}`).toContain(first);
  }

  function expectBody(x: { res: RegistryResponse; where: string }, bytes: Uint8Array, what = 'body differs from the pushed content'): void {
    expect(x.res.body.equals(bytes), `${what} (${bytes.length} bytes expected, ${x.res.body.length} received)\n${x.where}`).toBe(true);
  }

  function expectLocation(x: { res: RegistryResponse; where: string }): string {
    const location = x.res.header('location');
    expect(location, `missing Location header\n${x.where}`).toBeTruthy();
    return location!;
  }

  /** Docker-Content-Digest is optional, but when present it MUST name the content. */
  function expectDigestHeader(x: { res: RegistryResponse; where: string }, expected: string): void {
    const h = x.res.header('docker-content-digest');
    if (h !== undefined) expect(h, `Docker-Content-Digest\n${x.where}`).toBe(expected);
  }

  /** For content addressed by tag, the registry picks the digest algorithm; the header must still name the bytes. */
  function expectDigestHeaderNames(x: { res: RegistryResponse; where: string }, bytes: Uint8Array): void {
    const h = x.res.header('docker-content-digest');
    if (h !== undefined) expect(digestMatches(h, bytes), `Docker-Content-Digest ${h} does not name the content\n${x.where}`).toBe(true);
  }

  const path = {
    blob: (digest: string, repo = name) => `/v2/${repo}/blobs/${digest}`,
    uploads: (repo = name) => `/v2/${repo}/blobs/uploads/`,
    manifest: (ref: string, repo = name) => `/v2/${repo}/manifests/${ref}`,
    tags: (repo = name) => `/v2/${repo}/tags/list`,
    referrers: (digest: string) => `/v2/${name}/referrers/${digest}`,
  };

  /** POST then PUT, the way the official setup populates blobs; returns the PUT exchange. */
  async function pushBlob(b: Blob, repo = name) {
    const post = await call({ method: 'POST', path: path.uploads(repo) });
    expectStatus(post, 202);
    const location = expectLocation(post);
    return call({ method: 'PUT', path: location, query: { digest: b.digest }, headers: { 'content-type': OCTET }, body: b.bytes });
  }

  /**
   * PUT a manifest by tag (or digest). With a non-default algorithm the manifest is first put by
   * its digest, so the registry knows it under that algorithm before any tag points at it.
   */
  async function putManifest(m: Manifest, ref: string) {
    if (c.algorithm !== 'sha256' && ref !== m.digest) {
      const byDigest = await call({ method: 'PUT', path: path.manifest(m.digest), headers: { 'content-type': m.mediaType }, body: m.bytes });
      expect2xx(byDigest);
    }
    return call({ method: 'PUT', path: path.manifest(ref), headers: { 'content-type': m.mediaType }, body: m.bytes });
  }

  async function deleteAccepting(p: string, ...allowed: number[]) {
    const x = await call({ method: 'DELETE', path: p });
    const ok = (x.res.status >= 200 && x.res.status < 300) || allowed.includes(x.res.status);
    expect(ok, `unexpected status for teardown DELETE\n${x.where}`).toBe(true);
    return x;
  }

  async function tagList(repo = name, query: Record<string, string> = {}) {
    const x = await call({ method: 'GET', path: path.tags(repo), query });
    return { ...x, tags: x.res.status === 200 ? (x.res.json<{ tags?: string[] | null }>().tags ?? []) : [] };
  }

  describe('OCI distribution conformance', () => {
    beforeAll(() => {
      t = target();
      name = t.namespace;
      client = new RegistryClient({ url: t.url, username: t.username, password: t.password });
      c = generateContent(t.hashAlgorithm ?? 'sha256');
    });

    check('GET /v2/ answers 200 (the API version check)', async () => {
      const x = await call({ method: 'GET', path: '/v2/' });
      expectStatus(x, 200);
    });

    describe.runIf(options.pull)('Pull', () => {
      const tag = 'tagtest0';

      describe('Setup', () => {
        check('populate registry with test blobs (config[0], config[1], layer)', async () => {
          for (const b of [c.configs[0]!, c.configs[1]!, c.layer]) expect2xx(await pushBlob(b));
        });
        check('populate registry with test manifest by tag (manifest[0])', async () => {
          expect2xx(await putManifest(c.manifests[0]!, tag));
        });
        check('populate registry with test manifest by digest (manifest[1])', async () => {
          expect2xx(await putManifest(c.manifests[1]!, c.manifests[1]!.digest));
        });
      });

      describe('Pull blobs', () => {
        check('HEAD request to nonexistent blob should result in 404 response', async () => {
          const x = await call({ method: 'HEAD', path: path.blob(c.dummyDigest) });
          expectStatus(x, 404);
          expect(x.res.body.length, 'HEAD response must have no body').toBe(0);
        });
        check('HEAD request to existing blob should yield 200 with Content-Length and no body', async () => {
          const x = await call({ method: 'HEAD', path: path.blob(c.configs[0]!.digest) });
          expectStatus(x, 200);
          expectDigestHeader(x, c.configs[0]!.digest);
          expect(x.res.header('content-length'), `Content-Length\n${x.where}`).toBe(String(c.configs[0]!.size));
          expect(x.res.body.length).toBe(0);
        });
        check('GET nonexistent blob should result in 404 response with BLOB_UNKNOWN', async () => {
          const x = await call({ method: 'GET', path: path.blob(c.dummyDigest) });
          expectStatus(x, 404);
          expectErrorBody(x, ['BLOB_UNKNOWN']);
        });
        check('GET request to existing blob URL should yield 200 with the exact bytes', async () => {
          const x = await call({ method: 'GET', path: path.blob(c.configs[0]!.digest) });
          expectStatus(x, 200);
          expectBody(x, c.configs[0]!.bytes, `body differs from the pushed blob`);
          expect(x.res.header('content-length'), `Content-Length\n${x.where}`).toBe(String(c.configs[0]!.size));
          expectDigestHeader(x, c.configs[0]!.digest);
        });
      });

      describe('Range requests', () => {
        const size = 2048;
        const cases: { range: string; start: number; end: number }[] = [
          { range: 'bytes=500-1499', start: 500, end: 1499 },
          { range: 'bytes=500-', start: 500, end: size - 1 },
          { range: 'bytes=-500', start: size - 500, end: size - 1 },
          { range: 'bytes=2000-5000', start: 2000, end: size - 1 },
        ];
        check('populate registry with a 2048-byte blob', async () => {
          expect(c.rangeBlob.size).toBe(size);
          expect2xx(await pushBlob(c.rangeBlob));
        });
        for (const rc of cases) {
          check(`GET blob with Range: ${rc.range} yields 206 with Content-Range and the slice`, async () => {
            const x = await call({ method: 'GET', path: path.blob(c.rangeBlob.digest), headers: { range: rc.range } });
            expectStatus(x, 206);
            expect([`bytes ${rc.start}-${rc.end}/${size}`, `bytes ${rc.start}-${rc.end}/*`], `Content-Range\n${x.where}`).toContain(x.res.header('content-range'));
            expect(x.res.header('content-length')).toBe(String(rc.end - rc.start + 1));
            expectBody(x, c.rangeBlob.bytes.subarray(rc.start, rc.end + 1), `body is not the requested slice`);
          });
        }
        for (const range of ['bytes=500-0', 'bytes=5000-10000']) {
          check(`GET blob with unsatisfiable Range: ${range} yields 416`, async () => {
            const x = await call({ method: 'GET', path: path.blob(c.rangeBlob.digest), headers: { range } });
            expectStatus(x, 416);
          });
        }
      });

      describe('Pull manifests', () => {
        check('HEAD request to nonexistent manifest should return 404', async () => {
          const x = await call({ method: 'HEAD', path: path.manifest(NONEXISTENT_REFERENCE) });
          expectStatus(x, 404);
        });
        for (const i of [0, 1]) {
          check(`HEAD request to manifest[${i}] path (digest) should yield 200 response`, async () => {
            const m = c.manifests[i]!;
            const x = await call({ method: 'HEAD', path: path.manifest(m.digest), headers: { accept: MediaType.manifest } });
            expectStatus(x, 200);
            expectDigestHeader(x, m.digest);
            const length = x.res.header('content-length');
            if (length !== undefined) expect(length, `Content-Length\n${x.where}`).toBe(String(m.size));
            expect(x.res.body.length).toBe(0);
          });
        }
        check('HEAD request to manifest path (tag) should yield 200 response', async () => {
          const m = c.manifests[0]!;
          const x = await call({ method: 'HEAD', path: path.manifest(tag), headers: { accept: MediaType.manifest } });
          expectStatus(x, 200);
          const h = x.res.header('docker-content-digest');
          if (h !== undefined) expect(digestMatches(h, m.bytes), `Docker-Content-Digest ${h} does not name manifest[0]\n${x.where}`).toBe(true);
        });
        check('GET nonexistent manifest should return 404', async () => {
          // An invalid tag may not even match a route, so only the status is specified here.
          expectStatus(await call({ method: 'GET', path: path.manifest(NONEXISTENT_REFERENCE) }), 404);
        });
        check('GET nonexistent manifest by tag should return 404 with MANIFEST_UNKNOWN', async () => {
          const x = await call({ method: 'GET', path: path.manifest('no-such-tag') });
          expectStatus(x, 404);
          expectErrorBody(x, ['MANIFEST_UNKNOWN']);
        });
        check('GET nonexistent manifest by digest should return 404 with MANIFEST_UNKNOWN', async () => {
          const x = await call({ method: 'GET', path: path.manifest(c.dummyDigest) });
          expectStatus(x, 404);
          expectErrorBody(x, ['MANIFEST_UNKNOWN']);
        });
        for (const i of [0, 1]) {
          check(`GET request to manifest[${i}] path (digest) should yield 200 with the exact bytes and media type`, async () => {
            const m = c.manifests[i]!;
            const x = await call({ method: 'GET', path: path.manifest(m.digest), headers: { accept: MediaType.manifest } });
            expectStatus(x, 200);
            expectBody(x, m.bytes, `body differs from the pushed manifest`);
            expect(x.res.header('content-type'), `Content-Type\n${x.where}`).toBe(m.mediaType);
            expectDigestHeader(x, m.digest);
          });
        }
        check('GET request to manifest path (tag) should yield 200 response', async () => {
          const m = c.manifests[0]!;
          const x = await call({ method: 'GET', path: path.manifest(tag), headers: { accept: MediaType.manifest } });
          expectStatus(x, 200);
          expectBody(x, m.bytes, `body differs from the pushed manifest`);
          expectDigestHeaderNames(x, m.bytes);
        });
      });

      describe('Error codes', () => {
        check('400 response body should contain OCI-conforming JSON message', async () => {
          const x = await call({
            method: 'GET',
            path: path.manifest('sha256:totallywrong'),
            headers: { 'content-type': MediaType.manifest },
            body: 'blablabla',
          });
          expectStatus(x, 400, 404);
          if (x.res.status === 400) expectErrorBody(x, SPEC_ERROR_CODES);
        });
        check('GET tags list of a nonexistent repository yields 404 NAME_UNKNOWN', async () => {
          const x = await call({ method: 'GET', path: path.tags(`${name}/does-not-exist`) });
          expectStatus(x, 404);
          expectErrorBody(x, ['NAME_UNKNOWN']);
        });
        check('GET manifest in a nonexistent repository yields 404 (NAME_UNKNOWN or MANIFEST_UNKNOWN)', async () => {
          const x = await call({ method: 'GET', path: path.manifest('latest', `${name}/does-not-exist`) });
          expectStatus(x, 404);
          expectErrorBody(x, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
        });
        check('GET blob in a nonexistent repository yields 404 (NAME_UNKNOWN or BLOB_UNKNOWN)', async () => {
          const x = await call({ method: 'GET', path: path.blob(c.configs[0]!.digest, `${name}/does-not-exist`) });
          expectStatus(x, 404);
          expectErrorBody(x, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
        });
      });

      describe('Teardown', () => {
        const deleteManifests = () =>
          check('delete manifest[0] and manifest[1] created in setup', async () => {
            for (const m of [c.manifests[0]!, c.manifests[1]!]) await deleteAccepting(path.manifest(m.digest), 405);
          });
        if (deleteManifestBeforeBlobs) deleteManifests();
        check('delete config[0], config[1], layer and range blobs created in setup', async () => {
          for (const b of [c.configs[0]!, c.configs[1]!, c.layer, c.rangeBlob]) await deleteAccepting(path.blob(b.digest), 404, 405);
        });
        if (!deleteManifestBeforeBlobs) deleteManifests();
      });
    });

    describe.runIf(options.push)('Push', () => {
      let lastLocation = '';
      let firstChunkLocation = '';
      let monolithicPostStatus = 0;
      let mountStatus = 0;
      let emptyLayerPushed = false;

      describe('Blob Upload Streamed', () => {
        check('PATCH request with blob in body should yield 202 response', async () => {
          const post = await call({ method: 'POST', path: path.uploads() });
          const location = expectLocation(post);
          const patch = await call({ method: 'PATCH', path: location, headers: { 'content-type': OCTET }, body: c.blobA.bytes });
          expectStatus(patch, 202);
          lastLocation = expectLocation(patch);
        });
        check('PUT request to session URL with digest should yield 201 response', async () => {
          expect(lastLocation).toBeTruthy();
          const put = await call({ method: 'PUT', path: lastLocation, query: { digest: c.blobA.digest }, headers: { 'content-type': OCTET, 'content-length': '0' } });
          expectStatus(put, 201);
          const location = expectLocation(put);
          expectDigestHeader(put, c.blobA.digest);
          const get = await call({ method: 'GET', path: location });
          expectStatus(get, 200);
          expectBody(get, c.blobA.bytes, `Location must be a pullable blob URL`);
        });
      });

      describe('Blob Upload Monolithic', () => {
        const config = () => c.configs[1]!;
        check('GET nonexistent blob should result in 404 response', async () => {
          const x = await call({ method: 'GET', path: path.blob(c.dummyDigest) });
          expectStatus(x, 404);
        });
        check('POST request with digest and blob should yield a 201 or 202', async () => {
          const x = await call({ method: 'POST', path: path.uploads(), query: { digest: config().digest }, headers: { 'content-type': OCTET }, body: config().bytes });
          expectLocation(x);
          expectStatus(x, 201, 202);
          monolithicPostStatus = x.res.status;
        });
        check('GET request to blob URL from prior request should yield 200 or 404 based on response code', async () => {
          expect(monolithicPostStatus).not.toBe(0);
          const x = await call({ method: 'GET', path: path.blob(config().digest) });
          if (monolithicPostStatus === 202) expectStatus(x, 404);
          else {
            expectStatus(x, 200);
            expectBody(x, config().bytes);
          }
        });
        check('POST request should yield a session ID', async () => {
          const x = await call({ method: 'POST', path: path.uploads() });
          expectStatus(x, 202);
          lastLocation = expectLocation(x);
        });
        check('PUT upload of a blob should yield a 201 Response', async () => {
          const x = await call({ method: 'PUT', path: lastLocation, query: { digest: config().digest }, headers: { 'content-type': OCTET }, body: config().bytes });
          expectStatus(x, 201);
          expectLocation(x);
          expectDigestHeader(x, config().digest);
        });
        check('GET request to existing blob should yield 200 response', async () => {
          const x = await call({ method: 'GET', path: path.blob(config().digest) });
          expectStatus(x, 200);
          expectBody(x, config().bytes);
        });
        check('PUT upload of a layer blob should yield a 201 Response', async () => {
          const x = await pushBlob(c.layer);
          expectStatus(x, 201);
          expectLocation(x);
        });
        check('GET request to existing layer should yield 200 response', async () => {
          const x = await call({ method: 'GET', path: path.blob(c.layer.digest) });
          expectStatus(x, 200);
          expectBody(x, c.layer.bytes);
        });
        check('PUT with a digest that does not match the bytes yields 400 DIGEST_INVALID and stores nothing', async () => {
          const post = await call({ method: 'POST', path: path.uploads() });
          const wrong = c.dummyDigest;
          const put = await call({ method: 'PUT', path: expectLocation(post), query: { digest: wrong }, headers: { 'content-type': OCTET }, body: Buffer.from('not the dummy content') });
          expectStatus(put, 400);
          expectErrorBody(put, ['DIGEST_INVALID']);
          expectStatus(await call({ method: 'HEAD', path: path.blob(wrong) }), 404);
        });
        check('PUT with a malformed digest yields 400 DIGEST_INVALID', async () => {
          const post = await call({ method: 'POST', path: path.uploads() });
          const put = await call({ method: 'PUT', path: expectLocation(post), query: { digest: 'sha256:totallywrong' }, headers: { 'content-type': OCTET }, body: Buffer.from('x') });
          expectStatus(put, 400);
          expectErrorBody(put, ['DIGEST_INVALID']);
        });
        check('single POST with a digest that does not match the bytes is not accepted (400, or 202 when single POST is unsupported)', async () => {
          const x = await call({ method: 'POST', path: path.uploads(), query: { digest: c.dummyDigest }, headers: { 'content-type': OCTET }, body: Buffer.from('not the dummy content') });
          expectStatus(x, 400, 202);
          if (x.res.status === 400) expectErrorBody(x, ['DIGEST_INVALID']);
          expectStatus(await call({ method: 'HEAD', path: path.blob(c.dummyDigest) }), 404);
        });
      });

      describe('Blob Upload Chunked', () => {
        check('Out-of-order blob upload should return 416', async () => {
          const post = await call({ method: 'POST', path: path.uploads(), headers: { 'content-length': '0' } });
          const location = expectLocation(post);
          const min = post.res.header('oci-chunk-min-length');
          if (min !== undefined && Number(min) > c.blobB.chunk1.length) c.blobB = chunkedBlob(Number(min) * 2 - 2, c.algorithm);
          const patch = await call({ method: 'PATCH', path: location, headers: { 'content-type': OCTET, 'content-range': c.blobB.range2 }, body: c.blobB.chunk2 });
          expectStatus(patch, 416);
        });
        check('PATCH request with first chunk should return 202', async () => {
          const post = await call({ method: 'POST', path: path.uploads(), headers: { 'content-length': '0' } });
          firstChunkLocation = expectLocation(post);
          const patch = await call({ method: 'PATCH', path: firstChunkLocation, headers: { 'content-type': OCTET, 'content-range': c.blobB.range1 }, body: c.blobB.chunk1 });
          expectStatus(patch, 202);
          expect(patch.res.header('range'), `Range\n${patch.where}`).toBe(c.blobB.range1);
          lastLocation = expectLocation(patch);
        });
        check('Retry previous blob chunk should return 416', async () => {
          const patch = await call({ method: 'PATCH', path: firstChunkLocation, headers: { 'content-type': OCTET, 'content-range': c.blobB.range1 }, body: c.blobB.chunk1 });
          expectStatus(patch, 416);
        });
        check('Get on stale blob upload should return 204 with a range and location', async () => {
          const x = await call({ method: 'GET', path: firstChunkLocation });
          expectStatus(x, 204);
          lastLocation = expectLocation(x);
          expect(x.res.header('range'), `Range\n${x.where}`).toBe(c.blobB.range1);
        });
        check('PATCH request with second chunk should return 202', async () => {
          const patch = await call({ method: 'PATCH', path: lastLocation, headers: { 'content-type': OCTET, 'content-range': c.blobB.range2 }, body: c.blobB.chunk2 });
          expectStatus(patch, 202);
          lastLocation = expectLocation(patch);
          expect(patch.res.header('range'), `Range\n${patch.where}`).toBe(`0-${c.blobB.size - 1}`);
        });
        check('PUT request with digest should return 201', async () => {
          const put = await call({ method: 'PUT', path: lastLocation, query: { digest: c.blobB.digest }, headers: { 'content-type': OCTET, 'content-length': '0' } });
          expectStatus(put, 201);
          const get = await call({ method: 'GET', path: expectLocation(put) });
          expectStatus(get, 200);
          expectBody(get, c.blobB.bytes, `chunked blob reassembled wrongly`);
        });
        check('final chunk in the closing PUT (with Content-Range) yields 201', async () => {
          const b = chunkedBlob(Math.max(c.blobB.size, 42), c.algorithm);
          const post = await call({ method: 'POST', path: path.uploads(), headers: { 'content-length': '0' } });
          const patch = await call({ method: 'PATCH', path: expectLocation(post), headers: { 'content-type': OCTET, 'content-range': b.range1 }, body: b.chunk1 });
          expectStatus(patch, 202);
          const put = await call({ method: 'PUT', path: expectLocation(patch), query: { digest: b.digest }, headers: { 'content-type': OCTET, 'content-range': b.range2 }, body: b.chunk2 });
          expectStatus(put, 201);
          const get = await call({ method: 'GET', path: path.blob(b.digest) });
          expectStatus(get, 200);
          expectBody(get, b.bytes);
          await deleteAccepting(path.blob(b.digest), 404, 405);
        });
        check('DELETE on an upload session cancels it: 204, then GET yields 404 BLOB_UPLOAD_UNKNOWN', async () => {
          const post = await call({ method: 'POST', path: path.uploads() });
          const location = expectLocation(post);
          expectStatus(await call({ method: 'DELETE', path: location }), 204);
          const status = await call({ method: 'GET', path: location });
          expectStatus(status, 404);
          expectErrorBody(status, ['BLOB_UPLOAD_UNKNOWN']);
        });
        check('PATCH to an unknown upload session yields 404 BLOB_UPLOAD_UNKNOWN', async () => {
          const x = await call({ method: 'PATCH', path: `${path.uploads()}00000000-0000-4000-8000-000000000000`, headers: { 'content-type': OCTET }, body: Buffer.from('abc') });
          expectStatus(x, 404);
          expectErrorBody(x, ['BLOB_UPLOAD_UNKNOWN']);
        });
      });

      describe('Cross-Repository Blob Mount', () => {
        check('Cross-mounting of a blob without the from argument should yield session id', async () => {
          const x = await call({ method: 'POST', path: path.uploads(t.crossmountNamespace), query: { mount: c.dummyDigest } });
          expectStatus(x, 202);
          expectLocation(x);
        });
        check("POST request to mount another repository's blob should return 201 or 202", async () => {
          const x = await call({ method: 'POST', path: path.uploads(t.crossmountNamespace), query: { mount: c.blobA.digest, from: name } });
          expectStatus(x, 201, 202);
          mountStatus = x.res.status;
          lastLocation = expectLocation(x);
        });
        check('GET request to test digest within cross-mount namespace should return 200', async (ctx) => {
          if (mountStatus !== 201) return ctx.skip();
          expect(new URL(lastLocation, t.url).pathname).toBe(`/v2/${t.crossmountNamespace}/blobs/${c.blobA.digest}`);
          const x = await call({ method: 'GET', path: lastLocation });
          expectStatus(x, 200);
          expectBody(x, c.blobA.bytes);
        });
        check('Cross-mounting of nonexistent blob should yield session id', async () => {
          const x = await call({ method: 'POST', path: path.uploads(t.crossmountNamespace), query: { mount: c.dummyDigest, from: name } });
          expectStatus(x, 202);
          expect(new URL(expectLocation(x), t.url).pathname.startsWith(`/v2/${t.crossmountNamespace}/blobs/uploads/`), x.where).toBe(true);
        });
        check('Cross-mounting without from answers 201 (automatic crossmount) or 202', async (ctx) => {
          if (mountStatus !== 201) return ctx.skip();
          const x = await call({ method: 'POST', path: path.uploads(t.crossmountNamespace), query: { mount: c.blobA.digest } });
          if (options.automaticCrossmount === true) expectStatus(x, 201);
          else if (options.automaticCrossmount === false) expectStatus(x, 202);
          else expectStatus(x, 201, 202);
          expectLocation(x);
        });
      });

      describe('Manifest Upload', () => {
        check('GET nonexistent manifest should return 404', async () => {
          expectStatus(await call({ method: 'GET', path: path.manifest(NONEXISTENT_REFERENCE) }), 404);
        });
        check('PUT should accept a manifest upload', async () => {
          const m = c.manifests[1]!;
          for (let i = 0; i < 4; i++) {
            const x = await putManifest(m, `test${i}`);
            expectStatus(x, 201);
            expectLocation(x);
            expectDigestHeaderNames(x, m.bytes);
          }
        });
        check('PUT by digest yields 201 with Location and the same digest', async () => {
          const m = c.manifests[1]!;
          const x = await call({ method: 'PUT', path: path.manifest(m.digest), headers: { 'content-type': m.mediaType }, body: m.bytes });
          expectStatus(x, 201);
          const get = await call({ method: 'GET', path: expectLocation(x), headers: { accept: m.mediaType } });
          expectStatus(get, 200);
          expectBody(get, m.bytes, `Location must be a pullable manifest URL`);
          expectDigestHeader(x, m.digest);
        });
        check('Registry should accept a manifest upload with no layers', async () => {
          const x = await putManifest(c.emptyLayerManifest, 'emptylayer');
          if (x.res.status === 201) {
            expectLocation(x);
            emptyLayerPushed = true;
          } else {
            console.warn(`image manifest with no layers is not supported:\n${x.where}`);
          }
        });
        check('PUT of an artifact manifest (artifactType, empty config) yields 201', async () => {
          expect2xx(await pushBlob(c.emptyJson));
          expect2xx(await pushBlob(c.refBlobA));
          const x = await putManifest(c.artifact, 'artifact');
          expectStatus(x, 201);
          expectLocation(x);
          const get = await call({ method: 'GET', path: path.manifest(c.artifact.digest), headers: { accept: MediaType.manifest } });
          expectStatus(get, 200);
          expectBody(get, c.artifact.bytes);
        });
        check('PUT of an image index yields 201 and GET returns it with the index media type', async () => {
          const x = await putManifest(c.imageIndex, 'index');
          expectStatus(x, 201);
          expectLocation(x);
          const get = await call({ method: 'GET', path: path.manifest(c.imageIndex.digest), headers: { accept: MediaType.index } });
          expectStatus(get, 200);
          expect(get.res.header('content-type')).toBe(MediaType.index);
          expectBody(get, c.imageIndex.bytes);
        });
        check('GET request to manifest URL (digest) should yield 200 response', async () => {
          const m = c.manifests[1]!;
          const x = await call({ method: 'GET', path: path.manifest(m.digest), headers: { accept: MediaType.manifest } });
          expectStatus(x, 200);
          expectBody(x, m.bytes);
        });
        check('PUT of a manifest referencing an unknown blob yields 400/404 MANIFEST_BLOB_UNKNOWN', async () => {
          const m = c.manifestWithUnknownBlob;
          const x = await call({ method: 'PUT', path: path.manifest('unknown-blob'), headers: { 'content-type': m.mediaType }, body: m.bytes });
          expectStatus(x, 400, 404);
          expectErrorBody(x, ['MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN']);
          expectStatus(await call({ method: 'GET', path: path.manifest('unknown-blob') }), 404);
        });
        check('PUT of an invalid manifest body yields 400 MANIFEST_INVALID', async () => {
          const x = await call({ method: 'PUT', path: path.manifest('invalid'), headers: { 'content-type': MediaType.manifest }, body: 'blablabla' });
          expectStatus(x, 400);
          expectErrorBody(x, ['MANIFEST_INVALID']);
        });
        check('PUT of an invalid manifest to a malformed digest reference yields 400 with an OCI error code', async () => {
          const x = await call({ method: 'PUT', path: path.manifest('sha256:totallywrong'), headers: { 'content-type': MediaType.manifest }, body: 'blablabla' });
          expectStatus(x, 400);
          expectErrorBody(x, SPEC_ERROR_CODES);
        });
        check('PUT by a digest that does not match the manifest bytes yields 400 DIGEST_INVALID', async () => {
          const m = c.manifests[1]!;
          const x = await call({ method: 'PUT', path: path.manifest(c.manifests[0]!.digest), headers: { 'content-type': m.mediaType }, body: m.bytes });
          expectStatus(x, 400);
          expectErrorBody(x, ['DIGEST_INVALID', 'MANIFEST_INVALID']);
        });
      });

      describe('Teardown', () => {
        const deleteManifests = () =>
          check('delete manifests created in tests', async () => {
            for (const ref of [c.imageIndex.digest, c.manifests[1]!.digest, c.artifact.digest]) await deleteAccepting(path.manifest(ref), 405);
            if (emptyLayerPushed) await deleteAccepting(path.manifest(c.emptyLayerManifest.digest), 405);
          });
        if (deleteManifestBeforeBlobs) deleteManifests();
        check('delete blobs created in tests', async () => {
          for (const b of [c.configs[1]!, c.layer, c.blobA, c.blobB, c.emptyJson, c.refBlobA]) await deleteAccepting(path.blob(b.digest), 404, 405);
          await deleteAccepting(path.blob(c.blobA.digest, t.crossmountNamespace), 404, 405);
        });
        if (!deleteManifestBeforeBlobs) deleteManifests();
      });
    });

    describe.runIf(options.contentDiscovery)('Content Discovery', () => {
      const pushedTags = ['test0', 'test1', 'test2', 'test3'];
      let allTags: string[] = [];

      describe('Setup', () => {
        check('populate registry with test blob, layer and tags', async () => {
          expect2xx(await pushBlob(c.configs[2]!));
          expect2xx(await pushBlob(c.layer));
          for (const tag of pushedTags) expect2xx(await putManifest(c.manifests[2]!, tag));
        });
        if (options.referrers) {
          check('References setup (each manifest with a subject is answered with OCI-Subject)', async () => {
            expect(c.algorithm !== 'sha256' || c.emptyJson.digest === EMPTY_JSON_SHA256).toBe(true);
            expect2xx(await pushBlob(c.emptyJson));
            expect2xx(await pushBlob(c.refBlobA));
            const subject = c.manifests[4]!.digest;
            // Referrers pushed before their subject exists.
            for (const m of [c.refsAConfig, c.refsALayer, c.refsIndex]) {
              const x = await call({ method: 'PUT', path: path.manifest(m.digest), headers: { 'content-type': m.mediaType }, body: m.bytes });
              expect2xx(x);
              expect(x.res.header('oci-subject'), `OCI-Subject\n${x.where}`).toBe(subject);
            }
            expect2xx(await pushBlob(c.configs[4]!));
            expect2xx(await pushBlob(c.layer));
            expect2xx(await putManifest(c.manifests[4]!, 'tagtest0'));
            expect2xx(await pushBlob(c.refBlobB));
            for (const m of [c.refsBConfig, c.refsBLayer]) {
              const x = await call({ method: 'PUT', path: path.manifest(m.digest), headers: { 'content-type': m.mediaType }, body: m.bytes });
              expect2xx(x);
              expect(x.res.header('oci-subject'), `OCI-Subject\n${x.where}`).toBe(subject);
            }
            const x = await call({ method: 'PUT', path: path.manifest(c.refsCLayer.digest), headers: { 'content-type': MediaType.manifest }, body: c.refsCLayer.bytes });
            expect2xx(x);
            expect(x.res.header('oci-subject'), `OCI-Subject\n${x.where}`).toBe(c.manifests[3]!.digest);
          });
        }
      });

      describe('Test content discovery endpoints (listing tags)', () => {
        check('GET request to list tags should yield 200 response with name and tags in lexical order', async () => {
          const x = await tagList();
          expectStatus(x, 200);
          const body = x.res.json<{ name?: unknown; tags?: unknown }>();
          expect(body.name, x.where).toBe(name);
          expect(Array.isArray(body.tags), x.where).toBe(true);
          allTags = x.tags;
          for (const tag of pushedTags) expect(allTags, x.where).toContain(tag);
          expect(allTags, `tags MUST be in lexical order\n${x.where}`).toEqual([...allTags].sort());
        });
        check('GET number of tags should be limitable by `n` query parameter', async () => {
          const n = Math.floor(allTags.length / 2);
          const x = await tagList(name, { n: String(n) });
          expectStatus(x, 200);
          expect(x.tags, x.where).toEqual(allTags.slice(0, n));
        });
        check('GET start of tag is set by `last` query parameter', async () => {
          const n = Math.floor(allTags.length / 2);
          const last = allTags[n - 1]!;
          const x = await tagList(name, { n: String(n), last });
          expectStatus(x, 200);
          expect(x.tags, `tags after "${last}", at most ${n}\n${x.where}`).toEqual(allTags.slice(n, 2 * n));
        });
        check('`last` without `n` lists every tag after it', async () => {
          const x = await tagList(name, { last: allTags[0]! });
          expectStatus(x, 200);
          expect(x.tags, x.where).toEqual(allTags.slice(1));
        });
        check('a truncated tag list may carry a Link header with rel="next" that leads to the rest', async () => {
          const x = await tagList(name, { n: '1' });
          expectStatus(x, 200);
          expect(x.tags).toEqual(allTags.slice(0, 1));
          const link = x.res.header('link');
          if (link === undefined) return;
          const m = /^<([^>]+)>;\s*rel="?next"?$/.exec(link.trim());
          expect(m, `Link header must be <url>; rel="next"\n${x.where}`).toBeTruthy();
          const next = await call({ method: 'GET', path: m![1]! });
          expectStatus(next, 200);
          expect(next.res.json<{ tags: string[] }>().tags, next.where).toEqual(allTags.slice(1, 2));
        });
        check('n=0 returns an empty list and no Link header', async () => {
          const x = await tagList(name, { n: '0' });
          expectStatus(x, 200);
          expect(x.tags, x.where).toEqual([]);
          expect(x.res.header('link'), x.where).toBeUndefined();
        });
      });

      describe.runIf(options.referrers)('Test content discovery endpoints (listing references)', () => {
        type Index = { schemaVersion?: number; mediaType?: string; manifests?: { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }[] };
        const referrers = async (digest: string, query: Record<string, string> = {}) => {
          const x = await call({ method: 'GET', path: path.referrers(digest), query });
          expectStatus(x, 200);
          expect(x.res.header('content-type'), `Content-Type\n${x.where}`).toBe(MediaType.index);
          const index = x.res.json<Index>();
          expect(index.schemaVersion, x.where).toBe(2);
          expect(index.mediaType, x.where).toBe(MediaType.index);
          expect(Array.isArray(index.manifests), x.where).toBe(true);
          return { ...x, manifests: index.manifests! };
        };
        const referrersOf4 = () => [c.refsAConfig, c.refsALayer, c.refsIndex, c.refsBConfig, c.refsBLayer];
        const expectDescriptorsMatch = (list: Awaited<ReturnType<typeof referrers>>, expected: Manifest[]) => {
          expect(list.manifests.map((d) => d.digest).sort(), list.where).toEqual(expected.map((m) => m.digest).sort());
          for (const d of list.manifests) {
            const m = expected.find((e) => e.digest === d.digest)!;
            expect(d.mediaType, `descriptor mediaType for ${d.digest}\n${list.where}`).toBe(m.mediaType);
            expect(d.size, `descriptor size for ${d.digest}`).toBe(m.size);
            // MUST: artifactType of the manifest, else its config mediaType; for an index without one, omitted.
            expect(d.artifactType, `descriptor artifactType for ${d.digest}`).toBe(m.artifactType);
            // MUST include the manifest's annotations.
            expect(d.annotations ?? {}, `descriptor annotations for ${d.digest}`).toEqual(m.annotations ?? {});
            if (m.annotations) expect(d.annotations?.[ANNOTATION_KEY]).toBe(m.annotations[ANNOTATION_KEY]);
          }
        };

        check('GET request to nonexistent blob should result in empty 200 response', async () => {
          const x = await referrers(c.dummyDigest);
          expect(x.manifests, x.where).toEqual([]);
        });
        check('GET request to existing blob should yield 200', async () => {
          const x = await referrers(c.manifests[4]!.digest);
          expect(x.manifests.length, x.where).toBe(5);
          expectDescriptorsMatch(x, referrersOf4());
        });
        check('GET request to existing blob with filter should yield 200', async () => {
          const x = await referrers(c.manifests[4]!.digest, { artifactType: ARTIFACT_TYPE_A });
          const applied = x.res.header('oci-filters-applied');
          if (applied !== undefined && applied !== '') {
            expect(applied, x.where).toBe('artifactType');
            expectDescriptorsMatch(x, [c.refsAConfig, c.refsALayer]);
          } else {
            console.warn('filtering by artifact-type is not implemented');
            expectDescriptorsMatch(x, referrersOf4());
          }
        });
        check('filtering by an artifactType nothing has yields an empty list when the filter is applied', async () => {
          const x = await referrers(c.manifests[4]!.digest, { artifactType: 'application/vnd.conformance.nothing' });
          if (x.res.header('oci-filters-applied')) expect(x.manifests, x.where).toEqual([]);
          else expect(x.manifests.length, x.where).toBe(5);
        });
        check('GET request to missing manifest should yield 200', async () => {
          const x = await referrers(c.manifests[3]!.digest);
          expect(x.manifests.length, x.where).toBe(1);
          expect(x.manifests[0]!.digest).toBe(c.refsCLayer.digest);
          expect(x.manifests[0]!.artifactType).toBe(c.refsCLayer.artifactType);
        });
        check('GET referrers with a malformed digest yields 400', async () => {
          const x = await call({ method: 'GET', path: path.referrers('sha256:totallywrong') });
          expectStatus(x, 400);
        });
      });

      describe('Teardown', () => {
        const referenceManifests = () => [c.refsIndex, c.refsAConfig, c.refsALayer, c.manifests[4]!, c.refsBConfig, c.refsBLayer, c.refsCLayer];
        const deleteManifests = () =>
          check('delete created manifest & associated tags', async () => {
            await deleteAccepting(path.manifest(c.manifests[2]!.digest), 404, 405);
            if (options.referrers) for (const m of referenceManifests()) await deleteAccepting(path.manifest(m.digest), 404, 405);
          });
        if (deleteManifestBeforeBlobs) deleteManifests();
        check('delete blobs created in setup', async () => {
          const blobs = [c.configs[2]!, c.layer];
          if (options.referrers) blobs.push(c.configs[4]!, c.refBlobA, c.refBlobB, c.emptyJson);
          for (const b of blobs) await deleteAccepting(path.blob(b.digest), 404, 405);
        });
        if (!deleteManifestBeforeBlobs) deleteManifests();
      });
    });

    describe.runIf(options.contentManagement)('Content Management', () => {
      const tagToDelete = 'tagtest0';
      let numTags = 0;
      let tagDeleteStatus = 0;
      let manifestDeleteStatus = 0;
      let blobDeleteAllowed = true;

      describe('Setup', () => {
        check('populate registry with test config blob, layer and tag', async () => {
          expect2xx(await pushBlob(c.configs[3]!));
          expect2xx(await pushBlob(c.layer));
          expect2xx(await putManifest(c.manifests[3]!, tagToDelete));
        });
        check('Check how many tags there are before anything gets deleted', async () => {
          const x = await tagList();
          expectStatus(x, 200);
          numTags = x.tags.length;
          expect(x.tags).toContain(tagToDelete);
        });
      });

      describe('Manifest delete', () => {
        check('DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)', async () => {
          const x = await call({ method: 'DELETE', path: path.manifest(tagToDelete) });
          expectStatus(x, 202, 400, 405);
          if (x.res.status === 400) expectErrorBody(x, ['UNSUPPORTED']);
          tagDeleteStatus = x.res.status;
        });
        check('GET of a deleted tag yields 404 MANIFEST_UNKNOWN', async (ctx) => {
          if (tagDeleteStatus !== 202) return ctx.skip();
          const x = await call({ method: 'GET', path: path.manifest(tagToDelete) });
          expectStatus(x, 404);
          expectErrorBody(x, ['MANIFEST_UNKNOWN']);
        });
        check('DELETE request to manifest (digest) should yield 202 response unless already deleted', async () => {
          const x = await call({ method: 'DELETE', path: path.manifest(c.manifests[3]!.digest) });
          expectStatus(x, 202, 404);
          manifestDeleteStatus = x.res.status;
        });
        check('GET request to deleted manifest URL should yield 404 response, unless delete is disallowed', async () => {
          const x = await call({ method: 'GET', path: path.manifest(c.manifests[3]!.digest) });
          // A registry that answered 202 has deleted it; only a refused delete may leave it readable.
          if (manifestDeleteStatus === 202) expectStatus(x, 404);
          else expectStatus(x, 404, 200);
        });
        check('GET request to tags list should reflect manifest deletion', async () => {
          const x = await tagList();
          expectStatus(x, 200);
          expect(x.tags.length, x.where).toBeLessThan(numTags);
          expect(x.tags, x.where).not.toContain(tagToDelete);
        });
        check('DELETE of a nonexistent manifest digest yields 404 MANIFEST_UNKNOWN', async () => {
          const x = await call({ method: 'DELETE', path: path.manifest(c.dummyDigest) });
          expectStatus(x, 404);
          expectErrorBody(x, ['MANIFEST_UNKNOWN']);
        });
      });

      describe('Blob delete', () => {
        check('DELETE request to blob URL should yield 202 response', async () => {
          const config = await call({ method: 'DELETE', path: path.blob(c.configs[3]!.digest) });
          expectStatus(config, 202, 404, 405);
          const layer = await call({ method: 'DELETE', path: path.blob(c.layer.digest) });
          expectStatus(layer, 202, 404, 405);
          if (layer.res.status === 405) blobDeleteAllowed = false;
        });
        check('GET request to deleted blob URL should yield 404 response', async (ctx) => {
          if (!blobDeleteAllowed) return ctx.skip();
          const x = await call({ method: 'GET', path: path.blob(c.configs[3]!.digest) });
          expectStatus(x, 404);
          expectStatus(await call({ method: 'HEAD', path: path.blob(c.configs[3]!.digest) }), 404);
        });
        check('DELETE of a nonexistent blob yields 404 BLOB_UNKNOWN', async (ctx) => {
          if (!blobDeleteAllowed) return ctx.skip();
          const x = await call({ method: 'DELETE', path: path.blob(c.dummyDigest) });
          expectStatus(x, 404);
          expectErrorBody(x, ['BLOB_UNKNOWN']);
        });
      });
    });
  });
}
