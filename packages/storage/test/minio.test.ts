// Runs the BlobStore contract and the S3-only tests against a real MinIO in a container.
// Opt-in: set DOCKSPHERE_MINIO_TESTS=1 on a machine whose Docker engine can pull minio/minio.
// Skipped otherwise, because DockSphere's dev and CI machines cannot pull images at all; there
// s3.test.ts runs the very same suites against s3rver.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { StartedMinioContainer } from '@testcontainers/minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore, type S3BlobStoreOptions } from '../src/index.ts';
import { blobStoreContract } from './blob-store.contract.ts';
import { probePartCopy, s3DriverSuite } from './s3-driver.suite.ts';

const enabled = Boolean(process.env.DOCKSPHERE_MINIO_TESTS);
const IMAGE = process.env.DOCKSPHERE_MINIO_IMAGE ?? 'minio/minio:RELEASE.2025-04-22T22-12-26Z';
const BUCKET = 'docksphere-test';

describe.skipIf(!enabled)('S3BlobStore against MinIO (DOCKSPHERE_MINIO_TESTS)', () => {
  let container: StartedMinioContainer | undefined;
  let options: S3BlobStoreOptions;
  let store: S3BlobStore;
  let partCopy: boolean;

  beforeAll(async () => {
    // Imported here so that a skipped run never loads testcontainers.
    const { MinioContainer } = await import('@testcontainers/minio');
    container = await new MinioContainer(IMAGE).start();
    options = {
      endpoint: container.getConnectionUrl(),
      region: 'us-east-1',
      bucket: BUCKET,
      accessKeyId: container.getUsername(),
      secretAccessKey: container.getPassword(),
      forcePathStyle: true,
      redirect: false,
      prefix: 'registry/',
    };
    store = new S3BlobStore(options);
    await store.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    partCopy = await probePartCopy(store);
  });

  afterAll(async () => {
    await store?.close();
    await container?.stop();
  });

  blobStoreContract(() => store);
  s3DriverSuite(() => store, () => options, () => partCopy);

  it('MinIO implements UploadPartCopy, so large chunked commits are joined server-side', () => {
    expect(partCopy).toBe(true);
  });
});
