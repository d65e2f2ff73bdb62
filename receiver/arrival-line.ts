import { Point } from '@influxdata/influxdb-client';
import { lineProtocolTagValue } from '../influx/points.js';
import type { PreparedDelivery } from './prepare-delivery.js';

/** Measurement of the points that record when HRV data arrived; Grafana's silence rule reads it. */
export const ARRIVAL_MEASUREMENT = 'hrv_arrival';

/**
 * Builds the `hrv_arrival` line of a delivery that carried HRV values: samples, or a sleep session
 * or daily average with an RMSSD value. The time is when the receiver accepted the delivery, not
 * the samples' own time, so a night synced days late still counts as data arriving now. Returns
 * undefined for deliveries without HRV values (connection events, announcements, empty payloads).
 */
export function arrivalLine(prepared: PreparedDelivery, receivedAtMs: number): string | undefined {
  const { person, provider, stored } = prepared.outcome;
  if (person === undefined || provider === undefined) return undefined;

  const samples = stored.rmssd + stored.sdnn;
  const records = [...(prepared.model?.sessions ?? []), ...(prepared.model?.dailies ?? [])];
  const hasAverage = records.some((record) => record.rmssdMs !== undefined);
  if (samples === 0 && !hasAverage) return undefined;

  return new Point(ARRIVAL_MEASUREMENT)
    .tag('person', lineProtocolTagValue(person))
    .tag('provider', lineProtocolTagValue(provider))
    .intField('samples', samples)
    .timestamp((BigInt(receivedAtMs) * 1_000_000n).toString())
    .toLineProtocol()!;
}
