// Repository patterns for robots and group grants: "foo/img/*" matches everything below
// foo/img/, "*" alone matches every repository, anything else matches exactly.

const PATTERN = /^(?:\*|[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?:\/\*)?)$/;

export function isValidRepositoryPattern(pattern: string): boolean {
  return pattern.length <= 255 && PATTERN.test(pattern);
}

export function matchesRepositoryPattern(pattern: string, repository: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1)) && repository.length > pattern.length - 1;
  return repository === pattern;
}

/** Whether the pattern stays inside the namespace ("team/*", "team/app", never "other/*" or "*"). */
export function patternWithinNamespace(pattern: string, namespace: string): boolean {
  return pattern.startsWith(`${namespace}/`);
}
