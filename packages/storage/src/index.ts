// Blob storage: the BlobStore interface and its filesystem and S3 drivers.
export type * from './blob-store.ts';
