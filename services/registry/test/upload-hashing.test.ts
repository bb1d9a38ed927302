// Large uploads, whose hashing runs on worker threads: chunked digests, mismatches, replica hand-over.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, sha256, sha512, startRegistry, type Harness } from './helpers.ts';

const MiB = 1024 * 1024;
const octet = { 'content-type': 'application/octet-stream' };

describe('large uploads hashed off the main thread', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/big'));
  });
  afterAll(async () => h.close());

  const start = async (on: Harness = h): Promise<string> => {
    const r = await on.app.inject({ method: 'POST', url: '/v2/team/big/blobs/uploads/', headers: { ...headers, 'content-length': '0' } });
    expect(r.statusCode).toBe(202);
    return r.headers.location as string;
  };
  const patch = async (on: Harness, loc: string, data: Buffer, from: number): Promise<string> => {
    const r = await on.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': `${from}-${from + data.length - 1}` }, payload: data });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.headers.range).toBe(`0-${from + data.length - 1}`);
    return r.headers.location as string;
  };
  const staged = async (): Promise<string[]> => readdir(path.join(h.storeDir, 'uploads')).catch(() => []);

  it('commits a multi-chunk upload of several MiB under its sha256 and serves the same bytes', async () => {
    const parts = [randomBytes(3 * MiB + 11), randomBytes(2 * MiB), randomBytes(MiB + 5)];
    const all = Buffer.concat(parts);
    let loc = await start();
    let at = 0;
    for (const p of parts) {
      loc = await patch(h, loc, p, at);
      at += p.length;
    }
    const put = await h.app.inject({ method: 'PUT', url: `${loc}?digest=${sha256(all)}`, headers });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(sha256(all));
    const get = await h.app.inject({ method: 'GET', url: `/v2/team/big/blobs/${sha256(all)}`, headers });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(all)).toBe(true);
  });

  it('answers DIGEST_INVALID for a large blob with the wrong digest and leaves no session, staged bytes or blob', async () => {
    const before = await staged();
    const data = randomBytes(4 * MiB);
    const wrong = sha256(Buffer.concat([data, Buffer.from('x')]));
    const post = await h.app.inject({ method: 'POST', url: `/v2/team/big/blobs/uploads/?digest=${wrong}`, headers: { ...headers, ...octet }, payload: data });
    expect(post.statusCode).toBe(400);
    expect(post.json().errors[0].code).toBe('DIGEST_INVALID');
    expect(await staged()).toEqual(before);
    expect((await h.app.inject({ method: 'HEAD', url: `/v2/team/big/blobs/${sha256(data)}`, headers })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'HEAD', url: `/v2/team/big/blobs/${wrong}`, headers })).statusCode).toBe(404);
  });

  it('completes on another replica, which has no hash state, by hashing the staged bytes (sha256 and sha512)', async () => {
    const other = await startRegistry({ database: h.database, storeDir: h.storeDir, key: h.key });
    try {
      for (const digestOf of [sha256, sha512]) {
        const first = randomBytes(2 * MiB + 1);
        const second = randomBytes(MiB + 3);
        const all = Buffer.concat([first, second]);
        let loc = await start(h);
        loc = await patch(h, loc, first, 0);
        // The second chunk lands on the other replica, which must rebuild the hash at PUT time.
        loc = await patch(other, loc, second, first.length);
        const wrong = await other.app.inject({ method: 'PUT', url: `${loc}?digest=${digestOf(first)}`, headers });
        expect(wrong.json().errors[0].code).toBe('DIGEST_INVALID');
        expect((await other.app.inject({ method: 'GET', url: loc, headers })).statusCode).toBe(404);

        let again = await start(h);
        again = await patch(h, again, first, 0);
        again = await patch(other, again, second, first.length);
        const put = await h.app.inject({ method: 'PUT', url: `${again}?digest=${digestOf(all)}`, headers });
        expect(put.statusCode, put.body).toBe(201);
        const get = await other.app.inject({ method: 'GET', url: `/v2/team/big/blobs/${digestOf(all)}`, headers });
        expect(get.rawPayload.equals(all)).toBe(true);
      }
    } finally {
      await other.close();
    }
  });
});
