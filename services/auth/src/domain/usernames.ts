// Usernames double as repository namespaces ("alice/app"), so they follow the registry's
// path-component grammar, lowercase, and stay clear of names the platform reserves.

export const USERNAME_PATTERN = '^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$';
const USERNAME = new RegExp(USERNAME_PATTERN);

const RESERVED = new Set(['v2', 'api', 'auth', 'internal', 'library', 'root', 'system', 'anonymous', 'robot', 'robots', 'docksphere', 'www', 'static', 'health', 'metrics']);

/** Why a username cannot be used, or undefined when it can. */
export function usernameProblem(username: string): string | undefined {
  if (username.length < 2 || username.length > 64) return 'username must be 2 to 64 characters';
  if (!USERNAME.test(username)) return 'username must be lowercase letters and digits, separated by ".", "_", "__" or "-"';
  if (RESERVED.has(username)) return `username "${username}" is reserved`;
  return undefined;
}

/** Robot accounts log in as "<namespace>+<name>"; "+" never appears in a username. */
export function robotLogin(namespace: string, name: string): string {
  return `${namespace}+${name}`;
}

export function parseRobotLogin(login: string): { namespace: string; name: string } | undefined {
  const at = login.indexOf('+');
  if (at <= 0 || at === login.length - 1 || login.indexOf('+', at + 1) !== -1) return undefined;
  return { namespace: login.slice(0, at), name: login.slice(at + 1) };
}
