import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, repo, startRegistry, type Harness } from './helpers.ts';

describe('smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => h.close());

  it('pushes and pulls an image', async () => {
    const headers = await h.auth(repo('team/app'));
    const img = await prepareImage(h, 'team/app', headers);
    const put = await h.app.inject({ method: 'PUT', url: '/v2/team/app/manifests/latest', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: img.manifest });
    expect(put.statusCode, put.body).toBe(201);
    const get = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/latest', headers });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(img.manifest)).toBe(true);
    const blob = await h.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${img.layers[0]}`, headers });
    expect(blob.statusCode).toBe(200);
    expect(blob.body).toBe('layer-x');
  });
});
