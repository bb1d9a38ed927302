// LDAP / Active Directory login with ldapts: bind as the user (the password is checked by the
// directory, never stored here), then read the user's mail, name and groups.
import { Client } from 'ldapts';

export interface LdapOptions {
  url: string;
  userDnTemplate: string;
  groupBaseDn: string | undefined;
  groupFilter: string;
  emailAttribute: string;
  displayNameAttribute: string;
  timeoutMs: number;
}

export interface LdapIdentity {
  dn: string;
  email: string | undefined;
  displayName: string | undefined;
  /** Names (cn) of the groups the user belongs to. */
  groups: string[];
}

export type LdapLoginResult = { ok: true; identity: LdapIdentity } | { ok: false; reason: 'bad-credentials' | 'unavailable' };

/** Escapes a value for a DN attribute value (RFC 4514). */
export function escapeDnValue(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`).replace(/^ | $/g, (c) => `\\${c}`);
}

/** Escapes a value for a search filter (RFC 4515). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return first(v[0]);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export class LdapAuthenticator {
  constructor(private readonly options: LdapOptions) {}

  async login(username: string, password: string): Promise<LdapLoginResult> {
    // An empty password would be an unauthenticated bind, which directories accept: never allow it.
    if (password.length === 0) return { ok: false, reason: 'bad-credentials' };
    const dn = this.options.userDnTemplate.replace('{username}', escapeDnValue(username));
    const client = new Client({ url: this.options.url, timeout: this.options.timeoutMs, connectTimeout: this.options.timeoutMs });
    try {
      try {
        await client.bind(dn, password);
      } catch (err) {
        const name = (err as Error).name ?? '';
        if (/InvalidCredentials|NoSuchObject|InvalidDN|UnwillingToPerform/i.test(name)) return { ok: false, reason: 'bad-credentials' };
        return { ok: false, reason: 'unavailable' };
      }
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes: [this.options.emailAttribute, this.options.displayNameAttribute] });
      const entry: Record<string, unknown> = searchEntries[0] ?? {};
      const groups: string[] = [];
      if (this.options.groupBaseDn) {
        const filter = this.options.groupFilter.replace('{dn}', escapeFilterValue(dn)).replace('{username}', escapeFilterValue(username));
        const res = await client.search(this.options.groupBaseDn, { scope: 'sub', filter, attributes: ['cn'], sizeLimit: 1000 });
        for (const g of res.searchEntries) {
          const cn = first(g.cn);
          if (cn) groups.push(cn);
        }
      }
      return {
        ok: true,
        identity: { dn, email: first(entry[this.options.emailAttribute]), displayName: first(entry[this.options.displayNameAttribute]), groups: groups.sort() },
      };
    } catch {
      return { ok: false, reason: 'unavailable' };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}

