// Real parts: the address classifier and the URL checks of ping-mode downloads. Fake: the host
// resolver, which returns fixed addresses, so no test sends a DNS query.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPingUrl, describeLink, type HostResolver, type PingUrlPolicy, type ResolvedAddress } from '../receiver/ping-url-policy.js';
import { specialAddressRange } from '../receiver/special-addresses.js';

const addressCases = (
  JSON.parse(readFileSync(new URL('./fixtures/special-addresses.json', import.meta.url), 'utf8')) as {
    cases: Array<{ address: string; range: string | null }>;
  }
).cases;

const PUBLIC_V4: ResolvedAddress = { address: '52.216.8.1', family: 4 };
const PUBLIC_V6: ResolvedAddress = { address: '2600:1f18:4a3:6902::1', family: 6 };

function fakeResolver(table: Record<string, ResolvedAddress[] | NodeJS.ErrnoException>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    if (entry instanceof Error) throw entry;
    return entry;
  };
  return Object.assign(resolve, { asked });
}

function policy(resolveHost: HostResolver, allowHttpLoopback = false): PingUrlPolicy {
  return { allowHttpLoopback, resolveHost };
}

describe('specialAddressRange', () => {
  it.each(addressCases)('classifies $address', ({ address, range }) => {
    expect(specialAddressRange(address)).toBe(range ?? undefined);
  });
});

describe('checkPingUrl', () => {
  const resolver = fakeResolver({
    'bucket.s3.amazonaws.com': [PUBLIC_V4, PUBLIC_V6],
    'mixed.example.com': [PUBLIC_V4, { address: '10.0.0.7', family: 4 }],
    'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
    'mapped.example.com': [{ address: '::ffff:127.0.0.1', family: 6 }],
    'empty.example.com': [],
    'flaky.example.com': Object.assign(new Error('getaddrinfo EAI_AGAIN flaky.example.com'), { code: 'EAI_AGAIN' }),
  });

  it('returns every address of a public host', async () => {
    const check = await checkPingUrl(new URL('https://bucket.s3.amazonaws.com/p/1?X-Amz-Signature=abc'), policy(resolver));
    expect(check).toEqual({ addresses: [PUBLIC_V4, PUBLIC_V6] });
  });

  it('accepts a public address literal without a lookup', async () => {
    const literal = fakeResolver({});
    expect(await checkPingUrl(new URL('https://52.216.8.1/p'), policy(literal))).toEqual({ addresses: [PUBLIC_V4] });
    expect(await checkPingUrl(new URL('https://[2600:1f18:4a3:6902::1]/p'), policy(literal))).toEqual({ addresses: [PUBLIC_V6] });
    expect(literal.asked).toEqual([]);
  });

  it('rejects a host with one private address among public ones', async () => {
    const check = await checkPingUrl(new URL('https://mixed.example.com/p'), policy(resolver));
    expect(check).toEqual({ problem: 'host mixed.example.com has an address that is not public: 10.0.0.7 (private)', transient: false });
  });

  it.each([
    ['https://metadata.example.com/latest', 'host metadata.example.com has an address that is not public: 169.254.169.254 (link-local)'],
    ['https://mapped.example.com/p', 'host mapped.example.com has an address that is not public: ::ffff:127.0.0.1 (IPv4-mapped loopback)'],
    ['https://127.0.0.1:8443/p', 'host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)'],
    ['https://2130706433/p', 'host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)'],
    ['https://0x7f.1/p', 'host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)'],
    ['https://[::1]/p', 'host [::1] has an address that is not public: ::1 (loopback)'],
    ['https://[::ffff:169.254.169.254]/p', 'host [::ffff:a9fe:a9fe] has an address that is not public: ::ffff:a9fe:a9fe (IPv4-mapped link-local)'],
    ['https://169.254.169.254/latest/meta-data/', 'host 169.254.169.254 has an address that is not public: 169.254.169.254 (link-local)'],
    ['https://[fd00:ec2::254]/latest', 'host [fd00:ec2::254] has an address that is not public: fd00:ec2::254 (unique local (private))'],
    ['https://192.168.1.1/p', 'host 192.168.1.1 has an address that is not public: 192.168.1.1 (private)'],
  ])('rejects %s', async (url, problem) => {
    expect(await checkPingUrl(new URL(url), policy(resolver))).toEqual({ problem, transient: false });
  });

  it('rejects plain http in production', async () => {
    for (const url of ['http://bucket.s3.amazonaws.com/p', 'http://127.0.0.1:9000/p']) {
      expect(await checkPingUrl(new URL(url), policy(resolver))).toEqual({ problem: 'expected an https:// URL', transient: false });
    }
  });

  it('rejects other schemes', async () => {
    expect(await checkPingUrl(new URL('ftp://bucket.s3.amazonaws.com/p'), policy(resolver))).toEqual({ problem: 'expected an https:// URL', transient: false });
  });

  it('allows http to loopback only with the test setting', async () => {
    const loopback = policy(resolver, true);
    expect(await checkPingUrl(new URL('http://127.0.0.1:9000/p?sig=1'), loopback)).toEqual({ addresses: [{ address: '127.0.0.1', family: 4 }] });
    expect(await checkPingUrl(new URL('http://[::1]:9000/p'), loopback)).toEqual({ addresses: [{ address: '::1', family: 6 }] });
  });

  it.each(['http://localhost:9000/p', 'http://127.0.0.2/p', 'http://192.0.2.10/p', 'http://bucket.s3.amazonaws.com/p'])(
    'rejects %s even with the test setting',
    async (url) => {
      const check = await checkPingUrl(new URL(url), policy(resolver, true));
      expect(check).toEqual({ problem: 'expected https://, or http:// to 127.0.0.1 or [::1] only (TERRA_PING_ALLOW_HTTP_LOOPBACK)', transient: false });
    },
  );

  it('keeps https to loopback rejected with the test setting', async () => {
    const check = await checkPingUrl(new URL('https://127.0.0.1:9000/p'), policy(resolver, true));
    expect(check).toEqual({ problem: 'host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)', transient: false });
  });

  it('rejects a user name or password', async () => {
    const check = await checkPingUrl(new URL('https://user:pass@bucket.s3.amazonaws.com/p'), policy(resolver));
    expect(check).toEqual({ problem: 'the URL must not contain a user name or password', transient: false });
  });

  it('treats an unknown host as permanent', async () => {
    const check = await checkPingUrl(new URL('https://missing.example.com/p'), policy(resolver));
    expect(check).toEqual({ problem: 'host missing.example.com cannot be resolved (ENOTFOUND)', transient: false });
  });

  it('treats a temporary lookup failure as transient', async () => {
    const check = await checkPingUrl(new URL('https://flaky.example.com/p'), policy(resolver));
    expect(check).toEqual({ problem: 'host flaky.example.com cannot be resolved (EAI_AGAIN)', transient: true });
  });

  it('rejects a host without addresses', async () => {
    const check = await checkPingUrl(new URL('https://empty.example.com/p'), policy(resolver));
    expect(check).toEqual({ problem: 'host empty.example.com has no address', transient: false });
  });
});

describe('describeLink', () => {
  it('drops the query string, fragment and credentials', () => {
    const url = new URL('https://user:pw@bucket.s3.amazonaws.com:8443/terra/2f1d.json?X-Amz-Signature=abc&X-Amz-Expires=300#part');
    expect(describeLink(url)).toBe('https://bucket.s3.amazonaws.com:8443/terra/2f1d.json');
  });
});
