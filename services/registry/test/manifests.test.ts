import { sql } from '@docksphere/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, pushBlob, repo, sha256, sha512, startRegistry, type Harness } from './helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('manifests', () => {
  let h: Harness;
  let headers: { authorization: string };
  let nudges = 0;
  beforeAll(async () => {
    h = await startRegistry({ onEventsWritten: () => void nudges++ });
    headers = await h.auth(repo('team/app'), repo('team/other'));
  });
  afterAll(async () => h.close());

  const put = (name: string, ref: string, body: Buffer | string, type = OCI_MANIFEST) =>
    h.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${ref}`, headers: { ...headers, 'content-type': type }, payload: body });
  const events = async (type: string) => (await sql<{ event: any }>`select event from registry.outbox where type = ${type} order by seq`.execute(h.database.db)).rows.map((r) => (typeof r.event === 'string' ? JSON.parse(r.event) : r.event));

  it('pushes by tag: 201, Location, digest; stores bytes exactly; writes history and an event', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'tagpush');
    const before = nudges;
    const r = await put('team/app', 'v1', img.manifest);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.headers.location).toBe(`/v2/team/app/manifests/${img.digest}`);
    expect(r.headers['docker-content-digest']).toBe(img.digest);
    expect(r.headers['oci-subject']).toBeUndefined();
    expect(nudges).toBeGreaterThan(before);
    for (const ref of ['v1', img.digest]) {
      const g = await h.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${ref}`, headers });
      expect(g.statusCode).toBe(200);
      expect(g.headers['content-type']).toBe(OCI_MANIFEST);
      expect(g.headers['docker-content-digest']).toBe(img.digest);
      expect(g.headers['content-length']).toBe(String(img.manifest.length));
      expect(g.rawPayload.equals(img.manifest)).toBe(true);
    }
    const head = await h.app.inject({ method: 'HEAD', url: '/v2/team/app/manifests/v1', headers });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(img.manifest.length));
    expect(head.body).toBe('');
    const pushed = await events('registry.manifest.pushed');
    expect(pushed.some((e) => e.payload.digest === img.digest && e.payload.tag === 'v1' && e.actor.subject === 'user:alice')).toBe(true);
    const hist = await sql<{ digest: string; pushed_by: string }>`select digest, pushed_by from registry.tag_history where repository = 'team/app' and tag = 'v1'`.execute(h.database.db);
    expect(hist.rows).toEqual([{ digest: img.digest, pushed_by: 'user:alice' }]);
  });

  it('moves a tag and records the previous digest', async () => {
    const a = await prepareImage(h, 'team/app', headers, {}, 'move-a');
    const b = await prepareImage(h, 'team/app', headers, {}, 'move-b');
    await put('team/app', 'moving', a.manifest);
    await put('team/app', 'moving', b.manifest);
    const g = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/moving', headers });
    expect(g.headers['docker-content-digest']).toBe(b.digest);
    const hist = await sql<{ digest: string; previous_digest: string | null }>`select digest, previous_digest from registry.tag_history where tag = 'moving' order by id`.execute(h.database.db);
    expect(hist.rows).toEqual([
      { digest: a.digest, previous_digest: null },
      { digest: b.digest, previous_digest: a.digest },
    ]);
  });

  it('refuses a manifest over the size limit with 413', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const r = await put('team/app', 'big', big);
    expect(r.statusCode).toBe(413);
    expect(r.json().errors[0].code).toBe('MANIFEST_INVALID');
  });

  it('refuses invalid JSON and schema 1 with MANIFEST_INVALID', async () => {
    expect((await put('team/app', 'bad', '{not json')).json().errors[0].code).toBe('MANIFEST_INVALID');
    const s1 = await put('team/app', 'old', JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'old', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(s1.statusCode).toBe(400);
    expect(s1.json().errors[0].code).toBe('MANIFEST_INVALID');
  });

  it('refuses references to blobs not in the repository with MANIFEST_BLOB_UNKNOWN naming the digest', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'unknown-ref');
    const r = await put('team/other', 'x', img.manifest);
    expect(r.statusCode).toBe(404);
    const errs = r.json().errors;
    expect(errs.map((e: any) => e.code)).toEqual(['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
    expect(errs.map((e: any) => e.detail.digest).sort()).toEqual([img.config, ...img.layers].sort());
    expect((await h.app.inject({ method: 'GET', url: '/v2/team/other/manifests/x', headers })).statusCode).toBe(404);
  });

  it('refuses an index whose child manifest is not in the repository', async () => {
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('missing child'), size: 10 }] });
    const r = await put('team/app', 'idx', index, OCI_INDEX);
    expect(r.json().errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('finds nothing under a reference that is neither tag nor digest (404), and refuses to store under one (400)', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'badref');
    expect((await put('team/app', 'exists', img.manifest)).statusCode).toBe(201);
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      for (const ref of ['.INVALID_MANIFEST_NAME', 'sha256:short', 'a'.repeat(129)]) {
        const r = await h.app.inject({ method, url: `/v2/team/app/manifests/${ref}`, headers });
        expect(r.statusCode, `${method} ${ref}`).toBe(404);
        if (method !== 'HEAD') expect(r.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
      }
    }
    const badTag = await put('team/app', '.INVALID_MANIFEST_NAME', img.manifest);
    expect(badTag.statusCode).toBe(400);
    expect(badTag.json().errors[0].code).toBe('TAG_INVALID');
    const badDigest = await put('team/app', 'sha256:short', img.manifest);
    expect(badDigest.statusCode).toBe(400);
    expect(badDigest.json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/exists', headers })).statusCode).toBe(200);
  });

  it('refuses a by-digest push whose body has another digest', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'bydigest');
    const r = await put('team/app', sha256('other'), img.manifest);
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
  });

  it('accepts and serves a manifest pushed by sha512 digest', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'sha512');
    const d = sha512(img.manifest);
    const r = await put('team/app', d, img.manifest);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.headers['docker-content-digest']).toBe(d);
    const g = await h.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${d}`, headers });
    expect(g.rawPayload.equals(img.manifest)).toBe(true);
  });

  it('negotiates Accept for tags: MANIFEST_UNKNOWN when the stored type is not admitted', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'accept');
    await put('team/app', 'acc', img.manifest);
    const no = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/acc', headers: { ...headers, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(no.statusCode).toBe(404);
    expect(no.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
    for (const accept of [`application/vnd.docker.distribution.manifest.v2+json, ${OCI_MANIFEST}`, '*/*', 'application/*']) {
      const ok = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/acc', headers: { ...headers, accept } });
      expect(ok.statusCode, accept).toBe(200);
    }
  });

  it('answers OCI-Subject and lists referrers, with the artifactType filter', async () => {
    const subject = await prepareImage(h, 'team/app', headers, {}, 'subject');
    await put('team/app', 'subj', subject.manifest);
    const emptyBlob = await pushBlob(h, 'team/app', '{}', headers);
    const mkArtifact = (artifactType: string, note: string) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyBlob, size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyBlob, size: 2 }],
          subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length },
          annotations: { note },
        }),
      );
    const sbom = mkArtifact('application/vnd.example.sbom', 'sbom');
    const sig = mkArtifact('application/vnd.example.sig', 'sig');
    for (const a of [sbom, sig]) {
      const r = await put('team/app', sha256(a), a);
      expect(r.statusCode, r.body).toBe(201);
      expect(r.headers['oci-subject']).toBe(subject.digest);
    }
    const all = await h.app.inject({ method: 'GET', url: `/v2/team/app/referrers/${subject.digest}`, headers });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe(OCI_INDEX);
    const idx = all.json();
    expect(idx.schemaVersion).toBe(2);
    expect(idx.mediaType).toBe(OCI_INDEX);
    expect(idx.manifests).toHaveLength(2);
    expect(idx.manifests).toContainEqual({ mediaType: OCI_MANIFEST, digest: sha256(sbom), size: sbom.length, artifactType: 'application/vnd.example.sbom', annotations: { note: 'sbom' } });
    const filtered = await h.app.inject({ method: 'GET', url: `/v2/team/app/referrers/${subject.digest}?artifactType=application/vnd.example.sig`, headers });
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect(filtered.json().manifests.map((m: any) => m.digest)).toEqual([sha256(sig)]);
    const none = await h.app.inject({ method: 'GET', url: `/v2/team/app/referrers/${sha256('nothing refers')}`, headers });
    expect(none.statusCode).toBe(200);
    expect(none.json().manifests).toEqual([]);
    const bad = await h.app.inject({ method: 'GET', url: '/v2/team/app/referrers/sha256:xyz', headers });
    expect(bad.statusCode).toBe(400);
  });

  it('accepts a subject that does not exist yet', async () => {
    const img = await prepareImage(h, 'team/app', headers, { subject: { mediaType: OCI_MANIFEST, digest: sha256('future'), size: 3 } }, 'future');
    const r = await put('team/app', img.digest, img.manifest);
    expect(r.statusCode).toBe(201);
    expect(r.headers['oci-subject']).toBe(sha256('future'));
  });

  it('deletes a tag (202) leaving the manifest, and a manifest (202) with its tags; events written', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'delete');
    await put('team/app', 'd1', img.manifest);
    await put('team/app', 'd2', img.manifest);
    expect((await h.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/d1', headers })).statusCode).toBe(202);
    expect((await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/d1', headers })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${img.digest}`, headers })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${img.digest}`, headers })).statusCode).toBe(202);
    const gone = await h.app.inject({ method: 'GET', url: `/v2/team/app/manifests/${img.digest}`, headers });
    expect(gone.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
    expect((await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/d2', headers })).statusCode).toBe(404);
    expect((await events('registry.tag.deleted')).map((e) => e.payload.tag)).toEqual(expect.arrayContaining(['d1', 'd2']));
    expect((await events('registry.manifest.deleted')).map((e) => e.payload.digest)).toContain(img.digest);
    const again = await h.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${img.digest}`, headers });
    expect(again.statusCode).toBe(404);
  });

  it('answers NAME_UNKNOWN for a manifest in an unknown repository', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/team/nothing/manifests/latest', headers: await h.auth(repo('team/nothing')) });
    expect(r.statusCode).toBe(404);
    expect(r.json().errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('ends consistent when the same tag is pushed concurrently', async () => {
    const imgs = await Promise.all(['c1', 'c2', 'c3', 'c4'].map((s) => prepareImage(h, 'team/app', headers, {}, s)));
    const results = await Promise.all(imgs.map((i) => put('team/app', 'race', i.manifest)));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const g = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/race', headers });
    const final = g.headers['docker-content-digest'];
    const hist = await sql<{ digest: string; previous_digest: string | null }>`select digest, previous_digest from registry.tag_history where tag = 'race' order by id`.execute(h.database.db);
    expect(hist.rows).toHaveLength(4);
    expect(hist.rows[hist.rows.length - 1]?.digest).toBe(final);
    // Each move's previous digest is the one before it: the history is a chain.
    hist.rows.forEach((row, i) => expect(row.previous_digest).toBe(i === 0 ? null : hist.rows[i - 1]?.digest));
  });

  it('records pulls as batched, coalesced image-pulled events on GET, not HEAD', async () => {
    const img = await prepareImage(h, 'team/app', headers, {}, 'pulled');
    await put('team/app', 'pulled', img.manifest);
    await h.app.inject({ method: 'HEAD', url: '/v2/team/app/manifests/pulled', headers });
    await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/pulled', headers });
    await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/pulled', headers });
    await new Promise((r) => setTimeout(r, 1500));
    const pulled = (await events('registry.image.pulled')).filter((e) => e.payload.reference === 'pulled');
    // Two GETs by the same client within one flush window: one event that counts both.
    expect(pulled).toHaveLength(1);
    expect(pulled[0].payload).toMatchObject({ digest: img.digest, count: 2 });
  });
});
