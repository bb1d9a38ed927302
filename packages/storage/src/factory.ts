// Chooses and builds the BlobStore driver that config names.
import type { StorageConfig } from '@docksphere/kit';
import type { BlobStore } from './blob-store.ts';
import { FilesystemBlobStore } from './filesystem.ts';
import { S3BlobStore } from './s3.ts';

export function createBlobStore(config: StorageConfig): BlobStore {
  switch (config.driver) {
    case 'filesystem':
      return new FilesystemBlobStore({ dir: config.dir, accelRedirect: config.accelPrefix !== undefined });
    case 's3':
      return new S3BlobStore({ ...config.s3, prefix: '' });
    default: {
      const driver: never = config.driver;
      throw new Error(`unknown storage driver: ${String(driver)}`);
    }
  }
}
