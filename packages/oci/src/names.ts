// Repository names, tags and manifest references, with the grammar of the OCI distribution spec.
import { parseDigest, type ParsedDigest } from './digest.ts';

/** The spec: a name, slashes included, is less than 256 characters. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** True for a name such as "team/app"; the grammar rules out "..", "%2e", empty components and uppercase. */
export function isValidRepositoryName(name: string): boolean {
  // Length first: the regex is linear, but there is no reason to run it on megabytes.
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_REPOSITORY_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return typeof tag === 'string' && TAG.test(tag);
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: ParsedDigest };

/** A manifest reference: a tag, or a digest (a tag can never hold ":", so the two cannot overlap). */
export function parseReference(ref: string): Reference | undefined {
  if (isValidTag(ref)) return { kind: 'tag', tag: ref };
  const digest = parseDigest(ref);
  return digest ? { kind: 'digest', digest } : undefined;
}
