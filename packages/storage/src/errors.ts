// Typed failures of BlobStore calls, so the registry can map each one to its /v2 error code.

/** The digest is not a strictly valid "alg:hex" this store can name a path or key after. */
export class InvalidDigestError extends Error {
  override readonly name = 'InvalidDigestError';
  constructor(readonly digest: string) {
    super(`invalid digest: ${JSON.stringify(digest.slice(0, 200))}`);
  }
}

/** The upload id is not a UUID (ids become path segments and object keys). */
export class InvalidUploadIdError extends Error {
  override readonly name = 'InvalidUploadIdError';
  constructor(readonly id: string) {
    super(`invalid upload id: ${JSON.stringify(id.slice(0, 200))}`);
  }
}

/** No staged data exists for this upload id (never started, aborted or already committed). */
export class UploadNotFoundError extends Error {
  override readonly name = 'UploadNotFoundError';
  constructor(readonly id: string) {
    super(`upload ${id} not found`);
  }
}

/** An offset or size does not match the bytes actually staged for the upload (fewer are staged). */
export class InvalidOffsetError extends Error {
  override readonly name = 'InvalidOffsetError';
  constructor(
    readonly id: string,
    readonly requested: number,
    readonly staged: number,
  ) {
    super(`upload ${id}: ${requested} bytes requested but ${staged} are staged`);
  }
}
