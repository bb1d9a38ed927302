// Garbage collection of blobs: what no manifest references goes (links, rows, then bytes), what is
// referenced stays and still pulls, a dry run's plan is the real run's, a run interrupted with rows
// in 'deleting' is finished by the next one, and stored bytes without a row are removed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from '@docksphere/db';
import { FilesystemBlobStore } from '@docksphere/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../src/index.ts';
import { prepareImage, repo, startRegistry, type Harness } from './helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('garbage collection', () => {
  let h: Harness;
  let store: FilesystemBlobStore;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    store = new FilesystemBlobStore({ dir: h.storeDir, accelRedirect: false });
    headers = await h.auth(repo('gc/app'), repo('gc/other'));
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  const put = (name: string, ref: string, body: Buffer) =>
    h.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${ref}`, headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: body });
  const gc = (dryRun: boolean) => collectGarbage({ db: h.database.db, store, graceSeconds: 0, dryRun, now: new Date(Date.now() + 1000) });
  async function stored(): Promise<string[]> {
    const digests: string[] = [];
    for await (const blob of store.listBlobs()) digests.push(blob.digest);
    return digests.sort();
  }
  async function referenced(): Promise<string[]> {
    const rows = await sql<{ blob_digest: string }>`select distinct blob_digest from registry.manifest_blobs order by blob_digest`.execute(h.database.db);
    return rows.rows.map((r) => r.blob_digest).sort();
  }

  it('deletes what no manifest references, keeps what one does, and the dry run plans exactly what the run does', async () => {
    const kept = await prepareImage(h, 'gc/app', headers, {}, 'kept');
    expect((await put('gc/app', 'v1', kept.manifest)).statusCode).toBe(201);
    const dropped = await prepareImage(h, 'gc/app', headers, {}, 'dropped');
    expect((await put('gc/app', 'v2', dropped.manifest)).statusCode).toBe(201);
    // The kept image's layer is mounted into another repository that never uses it.
    const mount = await h.app.inject({ method: 'POST', url: `/v2/gc/other/blobs/uploads/?mount=${kept.layers[0]}&from=gc/app`, headers });
    expect(mount.statusCode).toBe(201);
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/gc/app/manifests/${dropped.digest}`, headers })).statusCode).toBe(202);

    const dry = await gc(true);
    expect(dry.blobsDeleted + dry.linksRemoved + dry.orphansDeleted).toBe(0);
    expect(dry.plan.blobs.map((b) => b.digest).sort()).toEqual([dropped.config, ...dropped.layers].sort());
    expect(dry.plan.links.map((l) => `${l.repository} ${l.digest}`).sort()).toEqual(
      [`gc/app ${dropped.config}`, `gc/app ${dropped.layers[0]}`, `gc/other ${kept.layers[0]}`].sort(),
    );
    expect(await stored()).toContain(dropped.config);

    const real = await gc(false);
    expect(real.plan.links).toEqual(dry.plan.links);
    expect(real.plan.blobs).toEqual(dry.plan.blobs);
    expect(real.plan.bytes).toBe(dry.plan.bytes);
    expect(real).toMatchObject({ linksRemoved: 3, blobsDeleted: 2, skipped: 0, bytesFreed: dry.plan.bytes });
    expect(await stored()).toEqual(await referenced());
    for (const digest of [kept.config, ...kept.layers]) {
      const res = await h.app.inject({ method: 'GET', url: `/v2/gc/app/blobs/${digest}`, headers });
      expect(res.statusCode).toBe(200);
      expect(`sha256:${createHash('sha256').update(res.rawPayload).digest('hex')}`).toBe(digest);
    }
    expect((await h.app.inject({ method: 'GET', url: `/v2/gc/app/manifests/v1`, headers: { ...headers, accept: OCI_MANIFEST } })).statusCode).toBe(200);
    // A second run finds nothing left to do.
    const again = await gc(false);
    expect(again.plan).toMatchObject({ links: [], blobs: [], orphans: [], bytes: 0 });
  });

  it('finishes a run interrupted after a blob went to deleting, and revives a marked blob a push references', async () => {
    const img = await prepareImage(h, 'gc/app', headers, {}, 'crash');
    // As a run killed between its two transactions leaves it: unlinked, state deleting, bytes still there.
    await sql`delete from registry.repository_blobs where digest = ${img.layers[0]!}`.execute(h.database.db);
    await sql`update registry.blobs set state = 'deleting' where digest = ${img.layers[0]!}`.execute(h.database.db);
    const marked = await prepareImage(h, 'gc/app', headers, {}, 'marked');
    await sql`update registry.blobs set state = 'marked' where digest = any(${[marked.config, ...marked.layers]}::text[])`.execute(h.database.db);
    expect((await put('gc/app', 'marked', marked.manifest)).statusCode).toBe(201);

    const run = await gc(false);
    expect(run.plan.blobs.map((b) => b.digest)).toContain(img.layers[0]);
    expect(await stored()).not.toContain(img.layers[0]);
    const row = await sql`select 1 from registry.blobs where digest = ${img.layers[0]!}`.execute(h.database.db);
    expect(row.rows).toHaveLength(0);
    const states = await sql<{ state: string }>`select state from registry.blobs where digest = any(${[marked.config, ...marked.layers]}::text[])`.execute(h.database.db);
    expect(states.rows.map((r) => r.state)).toEqual(['live', 'live']);
    expect(await stored()).toEqual(await referenced());
  });

  it('removes stored bytes that have no row once they are older than the grace period', async () => {
    const bytes = randomBytes(64);
    const hex = createHash('sha256').update(bytes).digest('hex');
    const dir = path.join(h.storeDir, 'blobs', 'sha256', hex.slice(0, 2));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, hex), bytes);
    const young = await collectGarbage({ db: h.database.db, store, graceSeconds: 3600, dryRun: false });
    expect(young.orphansDeleted).toBe(0);
    expect(await stored()).toContain(`sha256:${hex}`);
    const run = await gc(false);
    expect(run.plan.orphans).toEqual([{ digest: `sha256:${hex}`, size: 64 }]);
    expect(run.orphansDeleted).toBe(1);
    expect(await stored()).toEqual(await referenced());
  });
});
