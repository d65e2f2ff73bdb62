import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { specialAddressRange } from './special-addresses.js';

/** One address a host name resolves to, as dns.lookup returns it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has; dns.lookup in the receiver, a fake in tests. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface PingUrlPolicy {
  /**
   * Lets plain http reach the literal addresses 127.0.0.1 and ::1, and nothing else, so that
   * tests can serve links from a local stand-in for Terra's storage. Off in production.
   */
  allowHttpLoopback: boolean;
  resolveHost: HostResolver;
}

/** The addresses a link may be fetched from, or why it may not be fetched at all. */
export type AddressCheck = { addresses: ResolvedAddress[] } | { problem: string; transient: boolean };

const LOOPBACK_HOSTS = new Map<string, ResolvedAddress>([
  ['127.0.0.1', { address: '127.0.0.1', family: 4 }],
  ['[::1]', { address: '::1', family: 6 }],
]);

/** dns.lookup fails with these codes when the name does not exist, which a retry will not change. */
const PERMANENT_LOOKUP_CODES = new Set(['ENOTFOUND', 'ENODATA']);

/** Resolves with getaddrinfo, as Node's own connections do, so /etc/hosts entries are checked too. */
export const resolveWithDns: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/** Names a link for messages and logs: origin and path, without the query string that contains the signature. */
export function describeLink(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function schemeProblem(url: URL, policy: PingUrlPolicy): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && policy.allowHttpLoopback) {
    return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'expected https://, or http:// to 127.0.0.1 or [::1] only (TERRA_PING_ALLOW_HTTP_LOOPBACK)';
  }
  return 'expected an https:// URL';
}

function rejectedAddresses(addresses: readonly ResolvedAddress[]): string | undefined {
  const rejected = addresses.flatMap(({ address }) => {
    const range = specialAddressRange(address);
    return range === undefined ? [] : [`${address} (${range})`];
  });
  return rejected.length === 0 ? undefined : rejected.join(', ');
}

async function resolveHost(hostname: string, policy: PingUrlPolicy): Promise<AddressCheck> {
  try {
    const addresses = await policy.resolveHost(hostname);
    if (addresses.length === 0) return { problem: `host ${hostname} has no address`, transient: false };
    return { addresses };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { problem: `host ${hostname} cannot be resolved (${code})`, transient: !PERMANENT_LOOKUP_CODES.has(code) };
  }
}

/**
 * Checks one URL of a ping-mode download, the first or a redirect target: https only (see
 * allowHttpLoopback), no user name or password, and a host whose every address is globally
 * reachable. Returns those addresses, so that the connection goes to an address that was checked
 * even if the name resolves differently a moment later (DNS rebinding).
 */
export async function checkPingUrl(url: URL, policy: PingUrlPolicy): Promise<AddressCheck> {
  const scheme = schemeProblem(url, policy);
  if (scheme !== undefined) return { problem: scheme, transient: false };
  if (url.username !== '' || url.password !== '') return { problem: 'the URL must not contain a user name or password', transient: false };

  const loopback = url.protocol === 'http:' ? LOOPBACK_HOSTS.get(url.hostname) : undefined;
  if (loopback !== undefined) return { addresses: [loopback] };

  // URL keeps the brackets of an IPv6 literal and has already normalised IPv4 forms such as 0x7f.1.
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const resolved: AddressCheck =
    isIP(literal) === 0 ? await resolveHost(url.hostname, policy) : { addresses: [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }] };
  if ('problem' in resolved) return resolved;

  const rejected = rejectedAddresses(resolved.addresses);
  if (rejected !== undefined) return { problem: `host ${url.hostname} has an address that is not public: ${rejected}`, transient: false };
  return resolved;
}
