import { isIPv4 } from 'node:net';

/**
 * An app's API IP whitelist (§4): exact addresses and IPv4 CIDR blocks (`172.0.0.1/24`). An empty list allows
 * everyone, as an app without a whitelist does.
 */
export class IpAllowList {
  readonly entries: readonly string[];
  readonly #rules: ReadonlyArray<(ip: string) => boolean>;

  /** Parses entries; throws a TypeError naming the first bad one. */
  constructor(entries: readonly string[] = []) {
    this.entries = [...entries];
    this.#rules = entries.map(parseEntry);
  }

  /** Whether requests from `ip` (IPv4, IPv4-mapped IPv6 or IPv6) may use the app's secret. */
  allows(ip: string): boolean {
    if (this.#rules.length === 0) return true;
    const address = normaliseIp(ip);
    return this.#rules.some((rule) => rule(address));
  }
}

/** Strips the IPv4-mapped prefix Node reports for dual-stack sockets. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function parseEntry(entry: string): (ip: string) => boolean {
  if (typeof entry !== 'string' || entry.length === 0) throw new TypeError(`bad IP allow-list entry ${JSON.stringify(entry)}`);
  const slash = entry.indexOf('/');
  if (slash < 0) {
    const exact = normaliseIp(entry);
    return (ip) => ip === exact;
  }
  const base = entry.slice(0, slash);
  const bits = Number(entry.slice(slash + 1));
  if (!isIPv4(base) || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new TypeError(`bad IP allow-list entry ${JSON.stringify(entry)} (CIDR blocks must be IPv4 a.b.c.d/n)`);
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const network = (ipv4ToInt(base) & mask) >>> 0;
  return (ip) => isIPv4(ip) && ((ipv4ToInt(ip) & mask) >>> 0) === network;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}
