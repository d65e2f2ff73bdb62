// Real parts: the signature code and Terra's published test vectors. Nothing is faked.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signTerraBody, verifyTerraSignature } from '../terra/signature.js';

interface SignatureVector {
  secret: string;
  header: string;
  body: string;
  valid: boolean;
  note?: string;
}

const vectors = (
  JSON.parse(readFileSync(new URL('../../shared/terra-samples/signature-vectors.json', import.meta.url), 'utf8')) as {
    vectors: SignatureVector[];
  }
).vectors;

const body = Buffer.from('{"type":"healthcheck"}');
const now = 1_764_849_600;

describe('verifyTerraSignature on the published vectors', () => {
  it('covers at least the seven published vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(7);
  });

  it.each(vectors.map((vector) => [vector.note ?? vector.header, vector] as const))('%s', (_note, vector) => {
    const check = verifyTerraSignature(vector.header, Buffer.from(vector.body, 'utf8'), {
      secrets: [vector.secret],
      toleranceSeconds: 0,
      nowSeconds: now,
    });
    expect(check.ok).toBe(vector.valid);
  });
});

describe('verifyTerraSignature failure reasons', () => {
  const options = { secrets: ['whsec-one'], toleranceSeconds: 300, nowSeconds: now };
  const valid = signTerraBody(body, 'whsec-one', now);
  const validHex = valid.split('v1=')[1] ?? '';

  const cases: Array<[string, string | undefined, string]> = [
    ['no header', undefined, 'missing'],
    ['empty header', '', 'missing'],
    ['only spaces', '   ', 'missing'],
    ['no t', `v1=${validHex}`, 'malformed'],
    ['no v1', `t=${now}`, 'malformed'],
    ['only v0', `t=${now},v0=${validHex}`, 'malformed'],
    ['t in milliseconds', `t=${now * 1000}000,v1=${validHex}`, 'malformed'],
    ['t not a number', `t=yesterday,v1=${validHex}`, 'malformed'],
    ['uppercase hex', `t=${now},v1=${validHex.toUpperCase()}`, 'malformed'],
    ['short hex', `t=${now},v1=${validHex.slice(2)}`, 'malformed'],
    ['stale t', signTerraBody(body, 'whsec-one', now - 301), 'expired'],
    ['future t', signTerraBody(body, 'whsec-one', now + 301), 'expired'],
    ['other secret', signTerraBody(body, 'whsec-other', now), 'mismatch'],
    ['other body', signTerraBody('{"type":"auth"}', 'whsec-one', now), 'mismatch'],
  ];

  it.each(cases)('%s', (_name, header, reason) => {
    const check = verifyTerraSignature(header, body, options);
    expect(check).toEqual({ ok: false, reason });
  });

  it('accepts t exactly at the tolerance edge', () => {
    const header = signTerraBody(body, 'whsec-one', now - 300);
    expect(verifyTerraSignature(header, body, options).ok).toBe(true);
  });

  it('ignores the time when the tolerance is 0', () => {
    const header = signTerraBody(body, 'whsec-one', 10);
    expect(verifyTerraSignature(header, body, { ...options, toleranceSeconds: 0 }).ok).toBe(true);
  });

  it('accepts any secret of a rotation', () => {
    const header = signTerraBody(body, 'whsec-new', now);
    const check = verifyTerraSignature(header, body, { ...options, secrets: ['whsec-old', 'whsec-new'] });
    expect(check).toEqual({ ok: true, timestampSeconds: now });
  });

  it('accepts a match in any v1 entry with spaces', () => {
    const header = `t=${now}, v1=${'0'.repeat(64)}, v0=abc, v1=${validHex}`;
    expect(verifyTerraSignature(header, body, options).ok).toBe(true);
  });
});
