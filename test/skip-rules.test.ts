// Real parts: sample extraction and the envelope classifier, on hand-made payloads.
import { describe, expect, it } from 'vitest';
import { classifyTerraEvent, type HrvEvent } from '../terra/envelope.js';
import { extractHrvSamples } from '../terra/hrv-samples.js';

const user = { user_id: 'user-1', provider: 'GARMIN', reference_id: 'alice' };
const at = '2026-11-02T03:00:00.000000+01:00';

function sleepEvent(rmssdSamples: unknown, extraItems: unknown[] = []): HrvEvent {
  const item = { metadata: { start_time: at }, heart_rate_data: { detailed: { hrv_samples_rmssd: rmssdSamples } } };
  return { type: 'sleep', user, data: [item, ...extraItems] };
}

describe('sample skip rules', () => {
  const cases: Array<[string, unknown, string]> = [
    ['null value', { timestamp: at, hrv_rmssd: null }, 'missing_value'],
    ['absent value', { timestamp: at }, 'missing_value'],
    ['string value', { timestamp: at, hrv_rmssd: '52.1' }, 'not_a_number'],
    ['string NaN', { timestamp: at, hrv_rmssd: 'NaN' }, 'not_a_number'],
    ['boolean value', { timestamp: at, hrv_rmssd: true }, 'not_a_number'],
    ['infinite value', { timestamp: at, hrv_rmssd: JSON.parse('1e999') as number }, 'not_finite'],
    ['zero', { timestamp: at, hrv_rmssd: 0 }, 'out_of_range'],
    ['negative', { timestamp: at, hrv_rmssd: -3.5 }, 'out_of_range'],
    ['exactly 1000 ms', { timestamp: at, hrv_rmssd: 1000 }, 'out_of_range'],
    ['missing timestamp', { hrv_rmssd: 50 }, 'invalid_timestamp'],
    ['unreadable timestamp', { timestamp: 'yesterday', hrv_rmssd: 50 }, 'invalid_timestamp'],
    ['null sample', null, 'invalid_item'],
    ['number as sample', 50, 'invalid_item'],
  ];

  it.each(cases)('skips a sample with %s', (_name, bad, reason) => {
    const good = { timestamp: at, hrv_rmssd: 48.25 };
    const extracted = extractHrvSamples(sleepEvent([good, bad]), 'UTC');

    expect(extracted.skipped).toEqual({ [reason]: 1 });
    expect(extracted.samples).toEqual([{ measure: 'rmssd', valueMs: 48.25, epochNanoseconds: 1793584800000000000n }]);
  });

  it('keeps the plausible edges 0.001 ms and 999.999 ms', () => {
    const samples = [
      { timestamp: at, hrv_rmssd: 0.001 },
      { timestamp: at, hrv_rmssd: 999.999 },
    ];
    const extracted = extractHrvSamples(sleepEvent(samples), 'UTC');
    expect(extracted.samples.map((sample) => sample.valueMs)).toEqual([0.001, 999.999]);
  });

  it('counts a null item and keeps the other items', () => {
    const extracted = extractHrvSamples(sleepEvent([{ timestamp: at, hrv_rmssd: 40 }], [null, 'text']), 'UTC');
    expect(extracted.skipped).toEqual({ invalid_item: 2 });
    expect(extracted.samples).toHaveLength(1);
  });

  it('counts a sample list that is not an array', () => {
    const extracted = extractHrvSamples(sleepEvent({ timestamp: at, hrv_rmssd: 40 }), 'UTC');
    expect(extracted.skipped).toEqual({ invalid_item: 1 });
    expect(extracted.samples).toEqual([]);
  });

  it('accepts null and missing sample lists silently', () => {
    const event: HrvEvent = { type: 'daily', user, data: [{ heart_rate_data: null }, {}, { heart_rate_data: { detailed: { hrv_samples_rmssd: null } } }] };
    const empty = { sumMs: 0, count: 0 };
    expect(extractHrvSamples(event, 'UTC')).toEqual({ source: 'daily', samples: [], skipped: {}, itemRmssd: [empty, empty, empty], itemSampleEnds: [0, 0, 0] });
  });

  it('reads body items under heart_data', () => {
    const item = { heart_data: { heart_rate_data: { detailed: { hrv_samples_sdnn: [{ timestamp: at, hrv_sdnn: 61 }] } } } };
    const extracted = extractHrvSamples({ type: 'body', user, data: [item] }, 'UTC');
    expect(extracted.samples).toEqual([{ measure: 'sdnn', valueMs: 61, epochNanoseconds: 1793584800000000000n }]);
  });

  it('reads timestamps without an offset in the default zone', () => {
    const extracted = extractHrvSamples(sleepEvent([{ timestamp: '2026-11-02T03:00:00', hrv_rmssd: 40 }]), 'Europe/Berlin');
    expect(extracted.samples[0]?.epochNanoseconds).toBe(1793584800000000000n);
  });
});

describe('classifyTerraEvent problems', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an array', [], '(body)'],
    ['a string', 'sleep', '(body)'],
    ['null', null, '(body)'],
    ['no type', { data: [] }, 'type'],
    ['an empty type', { type: '' }, 'type'],
    ['a sleep event without user', { type: 'sleep', data: [] }, 'user'],
    ['a sleep event whose data is an object', { type: 'sleep', user, data: {} }, 'data'],
    ['a user without provider', { type: 'daily', user: { user_id: 'u' }, data: [] }, 'user.provider'],
    ['an empty user_id', { type: 'daily', user: { user_id: ' ', provider: 'OURA' }, data: [] }, 'user.user_id'],
    ['a deauth without user', { type: 'deauth' }, 'user'],
    ['a user_reauth without new_user', { type: 'user_reauth', old_user: user }, 'new_user'],
    ['a reference_id of 257 characters', { type: 'sleep', user: { ...user, reference_id: 'r'.repeat(257) }, data: [] }, 'user.reference_id'],
    ['a user_id of 257 characters', { type: 'auth', user: { ...user, user_id: 'u'.repeat(257) } }, 'user.user_id'],
    ['an s3_payload without url', { type: 's3_payload', status: 'success', expires_in: 300 }, 'url'],
    ['an s3_payload with a relative url', { type: 's3_payload', url: '/terra/2f1d?sig=x', expires_in: 300 }, 'url'],
    ['an s3_payload with a file url', { type: 's3_payload', url: 'file:///etc/passwd', expires_in: 300 }, 'url'],
  ];

  it.each(cases)('names the field of %s', (_name, body, field) => {
    expect(classifyTerraEvent(body)).toMatchObject({ field });
  });

  it('reads a null data array as no items', () => {
    expect(classifyTerraEvent({ type: 'sleep', user, data: null })).toMatchObject({ kind: 'hrv', event: { data: [] } });
  });

  it('drops a message that is not a string', () => {
    const event = classifyTerraEvent({ type: 'deauth', user, message: { text: 'bye' } });
    expect(event).toMatchObject({ kind: 'account', event: { type: 'deauth', message: undefined } });
  });

  it('keeps surrounding spaces of ids and counts emoji once', () => {
    const emoji = '😀'.repeat(256);
    const event = classifyTerraEvent({ type: 'sleep', user: { user_id: ' u-1 ', provider: 'OURA', reference_id: emoji }, data: [] });
    expect(event).toMatchObject({ kind: 'hrv', event: { user: { user_id: ' u-1 ', reference_id: emoji } } });
  });

  it('accepts a user_reauth without old_user', () => {
    const event = classifyTerraEvent({ type: 'user_reauth', new_user: user });
    expect(event).toMatchObject({ kind: 'account', user: { user_id: 'user-1' } });
  });

  it('reads a missing or invalid expires_in as 300 s', () => {
    for (const expires of [undefined, null, 'soon', -5, 0]) {
      const event = classifyTerraEvent({ type: 's3_payload', url: 'https://bucket.example/p?sig=x', expires_in: expires });
      expect(event, String(expires)).toEqual({ kind: 'ping', link: { url: 'https://bucket.example/p?sig=x', expiresInSeconds: 300 } });
    }
  });

  it('caps expires_in at one hour', () => {
    const event = classifyTerraEvent({ type: 's3_payload', url: 'https://bucket.example/p', expires_in: 86_400 });
    expect(event).toEqual({ kind: 'ping', link: { url: 'https://bucket.example/p', expiresInSeconds: 3600 } });
  });

  it('acknowledges an unknown type', () => {
    expect(classifyTerraEvent({ type: 'menstruation', data: 'anything' })).toEqual({ kind: 'other', type: 'menstruation' });
  });

  it('shortens a long unknown type', () => {
    expect(classifyTerraEvent({ type: 't'.repeat(64) })).toEqual({ kind: 'other', type: 't'.repeat(64) });
    expect(classifyTerraEvent({ type: 't'.repeat(65) })).toEqual({ kind: 'other', type: `${'t'.repeat(64)}\u2026` });
    expect(classifyTerraEvent({ type: '😀'.repeat(65) })).toEqual({ kind: 'other', type: `${'😀'.repeat(64)}\u2026` });
    expect(classifyTerraEvent({ type: '😀'.repeat(64) })).toEqual({ kind: 'other', type: '😀'.repeat(64) });
    expect(classifyTerraEvent({ type: 'x'.repeat(10_000_000) })).toEqual({ kind: 'other', type: `${'x'.repeat(64)}\u2026` });
  });
});
