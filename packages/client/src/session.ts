// The console session on the client side: the names of its cookies and CSRF header (set by the auth
// service; change them here when the server's change), reading the CSRF cookie in a browser, and a
// small cookie jar for clients outside a browser (the CLI, tests).

export const SESSION = {
  /** The HttpOnly access cookie every /api service accepts. */
  accessCookie: 'ds_access',
  /** The script-readable cookie whose value state-changing requests echo in csrfHeader. */
  csrfCookie: 'ds_csrf',
  csrfHeader: 'x-csrf-token',
} as const;

/** The CSRF cookie of the page's origin, in a browser; undefined elsewhere. */
export function csrfFromDocument(): string | undefined {
  const doc = (globalThis as { document?: { cookie?: string } }).document;
  if (!doc?.cookie) return undefined;
  for (const part of doc.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION.csrfCookie) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

interface StoredCookie {
  value: string;
  path: string;
  expiresAt: number | undefined;
}

const MAX_COOKIES = 50;

/** Cookies of one site, as a browser would keep them for one origin: name, value, path, expiry. */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Takes the Set-Cookie headers of a response. */
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) this.storeLine(line);
  }

  storeLine(line: string): void {
    const [pair, ...attributes] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent
    }
    let path = '/';
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [key = '', raw = ''] = attribute.split('=', 2).map((s) => s.trim());
      const k = key.toLowerCase();
      if (k === 'path' && raw.startsWith('/')) path = raw;
      else if (k === 'max-age' && /^-?\d+$/.test(raw)) expiresAt = Date.now() + Number(raw) * 1000;
      else if (k === 'expires' && expiresAt === undefined && !Number.isNaN(Date.parse(raw))) expiresAt = Date.parse(raw);
    }
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.cookies.delete(name);
      return;
    }
    if (!this.cookies.has(name) && this.cookies.size >= MAX_COOKIES) return;
    this.cookies.set(name, { value, path, expiresAt });
  }

  get(name: string): string | undefined {
    const c = this.cookies.get(name);
    if (!c) return undefined;
    if (c.expiresAt !== undefined && c.expiresAt <= Date.now()) {
      this.cookies.delete(name);
      return undefined;
    }
    return c.value;
  }

  /** The Cookie header for a request to `path` (undefined when no cookie applies). */
  header(path: string): string | undefined {
    const parts: string[] = [];
    for (const [name, c] of this.cookies) {
      const applies = path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`);
      if (applies && this.get(name) !== undefined) parts.push(`${name}=${encodeURIComponent(c.value)}`);
    }
    return parts.length ? parts.join('; ') : undefined;
  }

  clear(): void {
    this.cookies.clear();
  }
}
