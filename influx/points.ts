import { Point } from '@influxdata/influxdb-client';
import type { ExtractedSamples } from '../terra/hrv-samples.js';

/** Tags shared by every point of one Terra connection. */
export interface ConnectionTags {
  person: string;
  provider: string;
  userId: string;
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * Replaces what line protocol cannot carry in a tag value with U+FFFD. The client would store a
 * control character as a two-character escape (a newline as backslash-n), which could merge two
 * people. A tag value that ends with a backslash escapes the separator after it, and InfluxDB 1.6
 * then rejects the whole batch. Other backslashes are kept as sent.
 */
export function lineProtocolTagValue(value: string): string {
  const visible = value.replace(CONTROL_CHARACTERS, '\ufffd');
  return visible.endsWith('\\') ? `${visible.slice(0, -1)}\ufffd` : visible;
}

function connectionPoint(measurement: string, tags: ConnectionTags): Point {
  return new Point(measurement)
    .tag('person', lineProtocolTagValue(tags.person))
    .tag('provider', lineProtocolTagValue(tags.provider))
    .tag('user_id', lineProtocolTagValue(tags.userId));
}

/**
 * Builds one `hrv` line per sample, with the value in a field named after its measure (`rmssd` or
 * `sdnn`, never both in one field) and the sample's own time in nanoseconds. The series key and
 * time depend only on the payload, so a re-delivered sample overwrites the point it wrote before.
 *
 * The series key is serialised once by the client's Point and reused for every sample: a payload
 * can carry hundreds of thousands of samples, and a Point per sample took about 6 µs each. The
 * field is written as Point.floatField writes it (String of the number), which the tests compare.
 *
 * Each line is built with join() because V8 then stores it as one flat string. A template literal
 * or `+` stores a chain of concatenation nodes instead. For the 802,804 lines of a 50 MiB payload
 * the heap grew by about 200 MiB that way and by 92 MiB with join() (bench/large-payload-memory.ts,
 * Node 20.20).
 */
export function hrvSampleLines(extracted: Pick<ExtractedSamples, 'source' | 'samples'>, tags: ConnectionTags): string[] {
  const seriesKey = seriesKeyOf(connectionPoint('hrv', tags).tag('source', extracted.source));
  const lines = new Array<string>(extracted.samples.length);

  for (let index = 0; index < extracted.samples.length; index += 1) {
    const sample = extracted.samples[index]!;
    lines[index] = [seriesKey, ' ', sample.measure, '=', String(sample.valueMs), ' ', String(sample.epochNanoseconds)].join('');
  }

  return lines;
}

/** Returns the measurement and escaped, sorted tags of a point, as its line protocol starts. */
function seriesKeyOf(point: Point): string {
  const line = point.floatField('x', 0).toLineProtocol() as string;
  return line.slice(0, line.lastIndexOf(' x=0'));
}

export interface TerraEventFields {
  type: string;
  message: string;
  status?: string;
  /** The replaced `user_id` of a `user_reauth` event. */
  oldUserId?: string;
}

/**
 * Builds the `terra_event` line of an account event. Terra gives no event time, so the caller passes
 * Terra's emission time (X-Terra-Ordering-Timestamp), which is the same on every retry.
 */
export function terraEventLine(fields: TerraEventFields, tags: ConnectionTags, epochMilliseconds: number): string {
  const point = connectionPoint('terra_event', tags)
    .stringField('type', fields.type)
    .stringField('message', fields.message)
    .timestamp((BigInt(epochMilliseconds) * 1_000_000n).toString());
  if (fields.status !== undefined) point.stringField('status', fields.status);
  if (fields.oldUserId !== undefined) point.stringField('old_user_id', fields.oldUserId);
  return point.toLineProtocol() as string;
}
