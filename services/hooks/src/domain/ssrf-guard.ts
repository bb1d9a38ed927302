// Keeps webhooks from reaching inside the network (SSRF): a target host is resolved once, every
// address it resolves to must be public (or allowlisted by config), and the request then connects
// to that very address, so a DNS answer that changes between check and connect cannot slip through.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to all its addresses (injected in tests; the system resolver otherwise). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export type TargetCheck =
  | { allowed: true; url: URL; address: string; family: 4 | 6 }
  | { allowed: false; reason: string; /** false when trying again later may help (DNS failure). */ permanent: boolean };

const FORBIDDEN: readonly { name: string; ranges: readonly [string, number, 'ipv4' | 'ipv6'][] }[] = [
  { name: 'unspecified', ranges: [['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']] },
  { name: 'loopback', ranges: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']] },
  { name: 'private', ranges: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['198.18.0.0', 15, 'ipv4']] },
  { name: 'link-local', ranges: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6'], ['fec0::', 10, 'ipv6']] },
  { name: 'unique-local', ranges: [['fc00::', 7, 'ipv6']] },
  { name: 'multicast', ranges: [['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']] },
  { name: 'reserved', ranges: [['240.0.0.0', 4, 'ipv4'], ['100::', 64, 'ipv6']] },
  // Addresses that embed an IPv4 address: refused whatever that address is.
  { name: 'IPv4-mapped IPv6', ranges: [['::ffff:0:0', 96, 'ipv6']] },
  { name: 'IPv4-translated IPv6', ranges: [['64:ff9b::', 96, 'ipv6'], ['::', 96, 'ipv6']] },
];

/**
 * Rules kept per family: net.BlockList matches an IPv4 address against IPv6 rules through its
 * IPv4-mapped form, which would put every IPv4 address in ::ffff:0:0/96.
 */
class FamilyLists {
  readonly v4 = new net.BlockList();
  readonly v6 = new net.BlockList();
  add(address: string, prefix: number, type: 'ipv4' | 'ipv6'): void {
    (type === 'ipv4' ? this.v4 : this.v6).addSubnet(address, prefix, type);
  }
  /** An IPv6 address is also checked against the IPv4 rules (an IPv4-mapped address is that IPv4 host). */
  has(address: string): boolean {
    if (net.isIPv4(address)) return this.v4.check(address, 'ipv4');
    return this.v6.check(address, 'ipv6') || this.v4.check(address, 'ipv6');
  }
}

const forbiddenLists = FORBIDDEN.map(({ name, ranges }) => {
  const lists = new FamilyLists();
  for (const [address, prefix, type] of ranges) lists.add(address, prefix, type);
  return { name, lists };
});

/** The class of a forbidden address ("loopback", "private", ...), or undefined for a public one. */
export function forbiddenClass(address: string): string | undefined {
  if (!net.isIP(address)) return 'not an IP address';
  return forbiddenLists.find(({ lists }) => lists.has(address))?.name;
}

function parseCidr(cidr: string): [string, number, 'ipv4' | 'ipv6'] {
  const [address = '', prefixText] = cidr.split('/');
  const type = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!type) throw new Error(`webhook allowlist: "${cidr}" is not an IP address or CIDR`);
  const max = type === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`webhook allowlist: bad prefix length in "${cidr}"`);
  return [address, prefix, type];
}

/** The addresses this machine's interfaces carry (injected in tests; os.networkInterfaces() otherwise). */
export type InterfaceAddresses = () => string[];

export const systemInterfaceAddresses: InterfaceAddresses = () =>
  Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));

/** Interfaces change rarely (DHCP, a container joining a network): re-read them at most this often. */
const INTERFACE_REFRESH_MS = 5_000;

export class SsrfGuard {
  private readonly allowlist = new FamilyLists();
  private readonly hasAllowlist: boolean;
  private own: { lists: FamilyLists; readAt: number } | undefined;

  constructor(
    allowlist: readonly string[] = [],
    private readonly resolver: HostResolver = systemResolver,
    private readonly interfaceAddresses: InterfaceAddresses = systemInterfaceAddresses,
  ) {
    for (const cidr of allowlist) this.allowlist.add(...parseCidr(cidr));
    this.hasAllowlist = allowlist.length > 0;
  }

  /** Whether the address is one of this server's own (where the registry and the services listen). */
  private isOwnAddress(address: string): boolean {
    const now = Date.now();
    if (!this.own || now - this.own.readAt > INTERFACE_REFRESH_MS) {
      const lists = new FamilyLists();
      for (const a of this.interfaceAddresses()) {
        const type = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : undefined;
        if (type) lists.add(a, type === 'ipv4' ? 32 : 128, type);
      }
      this.own = { lists, readAt: now };
    }
    return this.own.lists.has(address);
  }

  /** Why the address may not be a webhook target, or undefined when it may. */
  refusal(address: string): string | undefined {
    if (this.hasAllowlist && net.isIP(address) && this.allowlist.has(address)) return undefined;
    const cls = forbiddenClass(address);
    if (cls) return `${address} is ${cls === 'not an IP address' ? cls : `a ${cls} address`}`;
    // A public address of this very host reaches the services as surely as loopback does.
    if (this.isOwnAddress(address)) return `${address} is an address of this server`;
    return undefined;
  }

  /** Checks the URL's form (http/https, no credentials) without resolving it. */
  static checkUrl(raw: string): { ok: true; url: URL } | { ok: false; reason: string } {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'not a valid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'only http and https URLs can be webhook targets' };
    if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed (use the signing secret)' };
    if (!url.hostname) return { ok: false, reason: 'the URL has no host' };
    return { ok: true, url };
  }

  /** Resolves the URL's host once and picks the address to connect to; refuses when any answer is forbidden. */
  async check(raw: string): Promise<TargetCheck> {
    const form = SsrfGuard.checkUrl(raw);
    if (!form.ok) return { allowed: false, reason: form.reason, permanent: true };
    const { url } = form;
    // WHATWG URL already turned 0x7f.1, 2130706433 and friends into dotted IPv4; IPv6 comes bracketed.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: ResolvedAddress[];
    if (net.isIP(host)) addresses = [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
    else {
      try {
        addresses = await this.resolver(host);
      } catch (err) {
        return { allowed: false, reason: `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, permanent: false };
      }
      if (addresses.length === 0) return { allowed: false, reason: `${host} does not resolve`, permanent: false };
    }
    // Every answer must pass: otherwise the pick among them would decide whether the guard holds.
    for (const a of addresses) {
      const refusal = this.refusal(a.address);
      if (refusal) return { allowed: false, reason: `refused: ${host === a.address ? '' : `${host} resolves to `}${refusal} (allowlist it in WEBHOOK_ALLOWLIST to permit it)`, permanent: true };
    }
    const chosen = addresses[0]!;
    return { allowed: true, url, address: chosen.address, family: chosen.family };
  }
}
