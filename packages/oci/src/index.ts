// @docksphere/oci: digests, names, media types, manifest validation and THE /v2 error table. Pure: no I/O.
export * from './digest.ts';
export * from './names.ts';
export * from './media-types.ts';
export * from './errors.ts';
export * from './manifest.ts';
export { MAX_DESCRIPTOR_URLS, MAX_ANNOTATIONS, MAX_URL_LENGTH } from './descriptor.ts';
export { MAX_JSON_DEPTH } from './json-document.ts';
