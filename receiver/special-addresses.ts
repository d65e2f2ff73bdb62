import { isIP } from 'node:net';

/**
 * Classifies IP addresses the receiver must not download from: the blocks of the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890), multicast, and cloud metadata endpoints. A
 * few blocks also contain some globally reachable anycast services; no storage link points at
 * those, so the whole block is rejected. This keeps a ping-mode link from reaching services inside
 * the receiver's own network (server-side request forgery).
 */

interface AddressBits {
  family: 4 | 6;
  value: bigint;
}

interface SpecialRange {
  family: 4 | 6;
  network: bigint;
  prefixLength: number;
  name: string;
}

const IPV4_RANGES: ReadonlyArray<[string, string]> = [
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  // Shared address space for carrier-grade NAT. It contains Alibaba Cloud's metadata endpoint 100.100.100.200.
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  // Contains the metadata endpoint 169.254.169.254 of AWS, Google Cloud, Azure and OpenStack.
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignment'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  // Azure's host endpoint (WireServer) is a public address that every Azure VM reaches.
  ['168.63.129.16/32', 'cloud metadata'],
];

/** IPv6 ranges checked in order; addresses outside 2000::/3 that match none are "not global unicast". */
const IPV6_RANGES: ReadonlyArray<[string, string]> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignment'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  // Contains AWS's IPv6 metadata endpoint fd00:ec2::254.
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
];

/** Addresses whose last 32 bits are an IPv4 address that the packet ends up at. */
const IPV4_MAPPED = parseRange('::ffff:0:0/96', 'IPv4-mapped');
const NAT64 = parseRange('64:ff9b::/96', 'NAT64');
const GLOBAL_UNICAST = parseRange('2000::/3', 'global unicast');

const SPECIAL_IPV4 = IPV4_RANGES.map(([network, name]) => parseRange(network, name));
const SPECIAL_IPV6 = IPV6_RANGES.map(([network, name]) => parseRange(network, name));

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

/** Expands an IPv6 address (with `::`, an embedded dotted IPv4 tail or a zone id) into 128 bits. */
function parseIpv6(text: string): bigint | undefined {
  const withoutZone = text.split('%')[0] ?? '';
  if (isIP(withoutZone) !== 6) return undefined;

  let groups = withoutZone;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups)?.[1];
  if (tail !== undefined) {
    const ipv4 = parseIpv4(tail) ?? 0n;
    groups = `${groups.slice(0, -tail.length)}${(ipv4 >> 16n).toString(16)}:${(ipv4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = groups.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill('0');

  return [...headGroups, ...zeros, ...restGroups].reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

function parseAddress(text: string): AddressBits | undefined {
  const ipv4 = parseIpv4(text);
  if (ipv4 !== undefined) return { family: 4, value: ipv4 };
  const ipv6 = parseIpv6(text);
  return ipv6 === undefined ? undefined : { family: 6, value: ipv6 };
}

function parseRange(cidr: string, name: string): SpecialRange {
  const [network = '', length = ''] = cidr.split('/');
  const address = parseAddress(network);
  if (address === undefined) throw new Error(`invalid range ${cidr}`);
  return { family: address.family, network: address.value, prefixLength: Number(length), name };
}

function inRange(address: AddressBits, range: SpecialRange): boolean {
  if (address.family !== range.family) return false;
  const shift = BigInt((address.family === 4 ? 32 : 128) - range.prefixLength);
  return address.value >> shift === range.network >> shift;
}

function ipv4RangeName(value: bigint): string | undefined {
  const address: AddressBits = { family: 4, value };
  return SPECIAL_IPV4.find((range) => inRange(address, range))?.name;
}

/**
 * Returns the name of the special-purpose range an IP address belongs to, such as `loopback` or
 * `private`, or undefined for a globally reachable address. An IPv4 address inside an
 * IPv4-mapped or NAT64 IPv6 address is judged as the IPv4 address it reaches. Text that is not an
 * IP address returns `not an IP address`.
 */
export function specialAddressRange(text: string): string | undefined {
  const address = parseAddress(text);
  if (address === undefined) return 'not an IP address';
  if (address.family === 4) return ipv4RangeName(address.value);

  for (const translation of [IPV4_MAPPED, NAT64]) {
    if (!inRange(address, translation)) continue;
    const name = ipv4RangeName(address.value & 0xffff_ffffn);
    return name === undefined ? undefined : `${translation.name} ${name}`;
  }
  const special = SPECIAL_IPV6.find((range) => inRange(address, range));
  if (special !== undefined) return special.name;
  return inRange(address, GLOBAL_UNICAST) ? undefined : 'not global unicast';
}
