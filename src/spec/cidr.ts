// IPv4 and IPv6 CIDR blocks as AWS WAF IP sets accept them: one address family per set, a prefix
// from /1 up (WAF refuses /0), written canonically (no host bits set). Used to validate
// aws.edge.campusRanges and to split them into one IP set per family.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  /** The block as written, e.g. "203.0.113.0/24". */
  readonly text: string;
  /** The same block with the host bits cleared, e.g. "203.0.113.0/24" for "203.0.113.7/24". */
  readonly canonical: string;
  /** The address has bits set beyond the prefix ("203.0.113.7/24"): write `canonical` instead. */
  readonly hostBitsSet: boolean;
  /** Inside a private, loopback, link-local or carrier-grade NAT range: never a public egress address. */
  readonly private: boolean;
}

/** Parses "address/prefix"; returns the reason it is not a WAF-usable CIDR block as a string. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!m) return 'is not a CIDR block (address/prefix)';
  const [, address, prefixText] = m;
  const prefix = Number(prefixText);
  const family = isIPv4(address!) ? 4 : isIPv6(address!) ? 6 : undefined;
  if (!family) return `has "${address}", which is neither an IPv4 nor an IPv6 address`;
  const bits = family === 4 ? 32 : 128;
  if (prefix < 1 || prefix > bits) return `has the prefix /${prefix}, but an IPv${family} prefix must be from /1 to /${bits} (AWS WAF does not accept /0)`;
  const value = family === 4 ? ipv4ToBigInt(address!) : ipv6ToBigInt(address!);
  const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const network = value & mask;
  const canonical = `${family === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network)}/${prefix}`;
  return { family, text, canonical, hostBitsSet: network !== value, private: isPrivate(family, network, prefix) };
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // Shorten the longest run of zero groups (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Ranges that a campus NAT's public egress address can never be in. */
const PRIVATE_RANGES: Record<4 | 6, readonly string[]> = {
  4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8'],
  6: ['fc00::/7', 'fe80::/10', '::1/128', '::/128'],
};

function isPrivate(family: 4 | 6, network: bigint, prefix: number): boolean {
  const bits = family === 4 ? 32 : 128;
  return PRIVATE_RANGES[family].some((range) => {
    const [address, p] = range.split('/');
    const rangePrefix = Number(p);
    if (prefix < rangePrefix) return false;
    const base = family === 4 ? ipv4ToBigInt(address!) : ipv6ToBigInt(address!);
    const mask = ((1n << BigInt(rangePrefix)) - 1n) << BigInt(bits - rangePrefix);
    return (network & mask) === base;
  });
}
