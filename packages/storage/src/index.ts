// Blob storage: the BlobStore interface and its filesystem and S3 drivers.
export type * from './blob-store.ts';
export { createBlobStore } from './factory.ts';
export { FilesystemBlobStore, type FilesystemBlobStoreOptions } from './filesystem.ts';
export { S3BlobStore, type S3BlobStoreOptions } from './s3.ts';
export { InvalidDigestError, InvalidOffsetError, InvalidUploadIdError, UploadNotFoundError } from './errors.ts';
