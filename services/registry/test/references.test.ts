// The reference tables as the single source of truth: a manifest PUT records its blob and child
// references with it, a marked blob is revived by a new reference and a deleting one is refused, and
// the migration fills the tables for content pushed before they existed.
import { migrate, openDatabase, sql } from '@docksphere/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryMigrations } from '../src/store/migrations/index.ts';
import { prepareImage, pushBlob, repo, startRegistry, type Harness } from './helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('reference tables', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('refs/app'), repo('refs/other'));
  });
  afterAll(async () => {
    await h?.close();
  });

  const put = (name: string, ref: string, body: Buffer, type = OCI_MANIFEST) =>
    h.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${ref}`, headers: { ...headers, 'content-type': type }, payload: body });

  it('records a manifest\'s blob references and an index\'s children in the transaction that stores them', async () => {
    const img = await prepareImage(h, 'refs/app', headers, {}, 'refs-1');
    expect((await put('refs/app', 'v1', img.manifest)).statusCode).toBe(201);
    const blobs = await sql<{ blob_digest: string }>`select blob_digest from registry.manifest_blobs where repository = 'refs/app' and manifest_digest = ${img.digest} order by blob_digest`.execute(h.database.db);
    expect(blobs.rows.map((r) => r.blob_digest)).toEqual([img.config, ...img.layers].sort());
    const rows = await sql<{ digest: string; state: string; size: string }>`select digest, state, size from registry.blobs where digest = any(${[img.config, ...img.layers]}::text[])`.execute(h.database.db);
    expect(rows.rows.map((r) => r.state)).toEqual(['live', 'live']);

    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: img.digest, size: img.manifest.length }] }));
    const res = await put('refs/app', 'multi', index, OCI_INDEX);
    expect(res.statusCode, res.body).toBe(201);
    const children = await sql<{ child_digest: string }>`select child_digest from registry.manifest_children where repository = 'refs/app'`.execute(h.database.db);
    expect(children.rows.map((r) => r.child_digest)).toEqual([img.digest]);
  });

  it('revives a blob a GC run marked when a manifest references it, and refuses one being deleted', async () => {
    const img = await prepareImage(h, 'refs/app', headers, {}, 'refs-2');
    await sql`update registry.blobs set state = 'marked' where digest = ${img.config}`.execute(h.database.db);
    expect((await put('refs/app', 'v2', img.manifest)).statusCode).toBe(201);
    const state = await sql<{ state: string }>`select state from registry.blobs where digest = ${img.config}`.execute(h.database.db);
    expect(state.rows[0]!.state).toBe('live');

    const img3 = await prepareImage(h, 'refs/app', headers, {}, 'refs-3');
    await sql`update registry.blobs set state = 'deleting' where digest = ${img3.layers[0]!}`.execute(h.database.db);
    const refused = await put('refs/app', 'v3', img3.manifest);
    expect(refused.json().errors[0]).toMatchObject({ code: 'MANIFEST_BLOB_UNKNOWN', detail: { digest: img3.layers[0] } });
    // A mount of the deleting blob falls back to an upload, and re-uploading it revives it.
    const mount = await h.app.inject({ method: 'POST', url: `/v2/refs/other/blobs/uploads/?mount=${img3.layers[0]}&from=refs/app`, headers });
    expect(mount.statusCode).toBe(202);
    await pushBlob(h, 'refs/app', 'layer-refs-3', headers);
    expect((await put('refs/app', 'v3', img3.manifest)).statusCode).toBe(201);
  });
});

describe('003_references backfill', () => {
  it('fills blobs, manifest references and children from content pushed before the tables existed', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      const before = registryMigrations.filter((m) => m.name < '003');
      await migrate(database.db, 'registry', before);
      const layer = `sha256:${'1'.repeat(64)}`;
      const config = `sha256:${'2'.repeat(64)}`;
      const foreign = `sha256:${'3'.repeat(64)}`;
      const unlinked = `sha256:${'4'.repeat(64)}`;
      const image = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 10 },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 20 },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: foreign, size: 30, urls: ['https://example.com/x'] },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: unlinked, size: 40 },
        ],
      });
      const imageDigest = `sha256:${'5'.repeat(64)}`;
      const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: imageDigest, size: image.length }] });
      await sql`insert into registry.repositories (name) values ('old/app')`.execute(database.db);
      await sql`insert into registry.repository_blobs (repository, digest, size) values ('old/app', ${layer}, 20), ('old/app', ${config}, 10)`.execute(database.db);
      await sql`insert into registry.manifests (repository, digest, media_type, size, content) values
        ('old/app', ${imageDigest}, ${OCI_MANIFEST}, ${image.length}, ${Buffer.from(image)}),
        ('old/app', ${`sha256:${'6'.repeat(64)}`}, ${OCI_INDEX}, ${index.length}, ${Buffer.from(index)})`.execute(database.db);

      await migrate(database.db, 'registry', registryMigrations);
      const blobs = await sql<{ digest: string; size: string; state: string }>`select digest, size, state from registry.blobs order by digest`.execute(database.db);
      expect(blobs.rows.map((r) => [r.digest, Number(r.size), r.state])).toEqual([
        [layer, 20, 'live'],
        [config, 10, 'live'],
        [unlinked, 40, 'live'],
      ]);
      const refs = await sql<{ blob_digest: string }>`select blob_digest from registry.manifest_blobs where manifest_digest = ${imageDigest} order by blob_digest`.execute(database.db);
      expect(refs.rows.map((r) => r.blob_digest)).toEqual([layer, config, unlinked]);
      const children = await sql<{ child_digest: string }>`select child_digest from registry.manifest_children`.execute(database.db);
      expect(children.rows.map((r) => r.child_digest)).toEqual([imageDigest]);
    } finally {
      await database.close();
    }
    // A second embedded database starts in this test: slow on a loaded machine.
  }, 180_000);
});
