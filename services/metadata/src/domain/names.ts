// Names metadata accepts: namespaces (users and organizations share one space), team names,
// repository names (a namespace, then one or more path components) and grant patterns.
import { isValidRepositoryName } from '@docksphere/oci';

export const NAMESPACE_PATTERN = '^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$';
const NAMESPACE = new RegExp(NAMESPACE_PATTERN);
/** The same words auth reserves for usernames: organizations may not take them either. */
const RESERVED = new Set(['v2', 'api', 'auth', 'internal', 'library', 'root', 'system', 'anonymous', 'robot', 'robots', 'docksphere', 'www', 'static', 'health', 'metrics']);

export function namespaceProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 64) return 'a namespace name must be 2 to 64 characters';
  if (!NAMESPACE.test(name)) return 'a namespace name must be lowercase letters and digits, separated by ".", "_", "__" or "-"';
  if (RESERVED.has(name)) return `"${name}" is reserved`;
  return undefined;
}

/** Splits "team/app/api" into its namespace and the rest; undefined for a name outside any namespace. */
export function splitRepositoryName(name: string): { namespace: string; path: string } | undefined {
  if (!isValidRepositoryName(name)) return undefined;
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  return { namespace: name.slice(0, slash), path: name.slice(slash + 1) };
}

export function repositoryNameProblem(name: string): string | undefined {
  if (!isValidRepositoryName(name)) return 'not a valid repository name (lowercase path components separated by "/")';
  if (!name.includes('/')) return 'a repository name starts with its namespace ("<namespace>/<name>")';
  return undefined;
}

/** A namespace-wide grant pattern digested for matching: "*" (all), "foo/img/*" (below), or an exact name. */
export interface GrantPattern {
  pattern: string;
  exact: string | undefined;
  prefix: string | undefined;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATTERN = new RegExp(`^(?:\\*|${COMPONENT}(?:/${COMPONENT})*(?:/\\*)?)$`);

/** Reads a pattern inside a namespace; "*" means every repository of the namespace. */
export function parseGrantPattern(namespace: string, pattern: string): GrantPattern | string {
  if (pattern.length > 255 || !PATTERN.test(pattern)) return 'a pattern is "*", "<namespace>/<path>/*" or an exact repository name';
  if (pattern === '*') return { pattern, exact: undefined, prefix: `${namespace}/` };
  if (!pattern.startsWith(`${namespace}/`)) return `the pattern must stay inside the namespace ("${namespace}/…")`;
  if (pattern.endsWith('/*')) return { pattern, exact: undefined, prefix: pattern.slice(0, -1) };
  return { pattern, exact: pattern, prefix: undefined };
}

export function patternMatches(p: { exact: string | null | undefined; prefix: string | null | undefined }, repository: string): boolean {
  if (p.exact) return p.exact === repository;
  return !!p.prefix && repository.startsWith(p.prefix) && repository.length > p.prefix.length;
}
