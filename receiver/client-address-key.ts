import { isIPv4, isIPv6 } from 'node:net';

const IPV4_MAPPED_PREFIX = '::ffff:';

/** Key of a request whose address is unknown (the socket closed before Express read it). */
export const UNKNOWN_ADDRESS_KEY = 'unknown';

/**
 * Returns the key under which a client address is rate-limited. An IPv4 address is its own key,
 * also when written IPv4-mapped (`::ffff:203.0.113.7`). An IPv6 address is keyed by its /64
 * prefix, because one IPv6 host often gets a whole /64 and could use a new address per request.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return UNKNOWN_ADDRESS_KEY;

  const lower = ip.toLowerCase();
  if (lower.startsWith(IPV4_MAPPED_PREFIX) && isIPv4(lower.slice(IPV4_MAPPED_PREFIX.length))) {
    return lower.slice(IPV4_MAPPED_PREFIX.length);
  }
  if (isIPv4(lower)) return lower;

  const groups = isIPv6(lower) ? expandIPv6(lower) : undefined;
  // Express passes X-Forwarded-For entries unchecked, so a trusted proxy could pass any text.
  if (groups === undefined) return `other:${ip.slice(0, 64)}`;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** Splits colon-separated groups, turning an embedded IPv4 address (`::ffff:192.0.2.1`) into two groups. */
function hexGroups(part: string): string[] {
  if (part === '') return [];
  return part.split(':').flatMap((group) => {
    if (!isIPv4(group)) return [group];
    const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
    return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  });
}

/** Writes a valid IPv6 address as its eight 16-bit groups in hex without leading zeros. */
function expandIPv6(address: string): string[] | undefined {
  const withoutZone = address.split('%')[0] ?? '';
  const [head = '', tail] = withoutZone.split('::');
  const left = hexGroups(head);
  const right = tail === undefined ? [] : hexGroups(tail);
  const zeros = tail === undefined ? 0 : Math.max(0, 8 - left.length - right.length);
  const groups = [...left, ...new Array<string>(zeros).fill('0'), ...right];

  return groups.length === 8 ? groups.map((group) => Number.parseInt(group, 16).toString(16)) : undefined;
}
