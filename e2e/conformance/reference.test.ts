// Validates the conformance port itself against CNCF Distribution 2.8 (Debian's docker-registry):
// a check that fails here is either a bug in our port or a documented 2.8 deviation below.
// Opt-in with DOCKSPHERE_CONFORMANCE_REFERENCE=1; it is a tool for the suite, not part of `npm test`.
import { afterAll, beforeAll, describe } from 'vitest';
import { startReferenceRegistry } from '../harness/reference-registry.ts';
import type { RegistryUnderTest } from '../harness/registry-under-test.ts';
import { defineConformanceSuite } from './suite.ts';

const enabled = process.env['DOCKSPHERE_CONFORMANCE_REFERENCE'] === '1';

/**
 * Distribution 2.8 predates OCI distribution-spec 1.1 in these MUST-level points. Each still runs
 * (as it.fails), which proves the check detects the deviation.
 */
const DISTRIBUTION_2_8_DEVIATIONS: readonly string[] = [
  // 500 UNKNOWN (a storage path error) for GET /manifests/sha256:totallywrong; the official suite accepts only 400/404.
  '400 response body should contain OCI-conforming JSON message',
  // Content-Range is not checked on PATCH: an out-of-order chunk is appended (202) instead of 416.
  'Out-of-order blob upload should return 416',
  // Upload state lives in the `_state` query parameter, so the first chunk's (stale) URL answers
  // 404 BLOB_UPLOAD_INVALID instead of 416 / 204 with the session's Range.
  'Retry previous blob chunk should return 416',
  'Get on stale blob upload should return 204 with a range and location',
  // 404 with BLOB_UPLOAD_INVALID rather than BLOB_UPLOAD_UNKNOWN for an unknown session.
  'PATCH to an unknown upload session yields 404 BLOB_UPLOAD_UNKNOWN',
  // tags/list is in storage order and ignores `n` and `last` (tag pagination arrived in Distribution 3).
  'GET request to list tags should yield 200 response with name and tags in lexical order',
  'GET number of tags should be limitable by `n` query parameter',
  'GET start of tag is set by `last` query parameter',
  '`last` without `n` lists every tag after it',
  'a truncated tag list may carry a Link header with rel="next" that leads to the rest',
  'n=0 returns an empty list and no Link header',
  // DELETE by tag answers 400 DIGEST_INVALID; the official suite requires UNSUPPORTED with a 400.
  'DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)',
];

describe.runIf(enabled)('conformance port against CNCF Distribution 2.8 (docker-registry)', () => {
  let registry: RegistryUnderTest | undefined;
  beforeAll(async () => {
    registry = await startReferenceRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
  });

  defineConformanceSuite(
    () => {
      if (!registry) throw new Error('reference registry did not start');
      return { url: registry.url, namespace: 'conformance/repo1', crossmountNamespace: 'conformance/repo2', hashAlgorithm: 'sha256' };
    },
    {
      pull: true,
      push: true,
      contentDiscovery: true,
      contentManagement: true,
      // Distribution 2.8 has no referrers API and no sha512 content.
      referrers: false,
      knownDeviations: DISTRIBUTION_2_8_DEVIATIONS,
    },
  );
});
