// Real parts: the redaction of InfluxDB error messages, on messages in the forms InfluxDB 1.x, 2.x
// and 3.x send.
import { describe, expect, it } from 'vitest';
import { statementError } from '../influx/influxql-client.js';
import { redactServerMessage } from '../influx/write-error.js';

describe('redactServerMessage', () => {
  it.each([
    [
      'InfluxDB 1.x parse error',
      "partial write: unable to parse 'hrv,person=alice,provider=GARMIN rmssd=52.1 1793571120000000000': invalid tag format dropped=0",
      "partial write: unable to parse '<line>': invalid tag format dropped=0",
    ],
    [
      'a quoted line with apostrophes',
      "unable to parse 'hrv,person=O'Brien\\ rmssd=61.37 1': invalid tag format\nunable to parse 'hrv,person=x sdnn=70 2': bad",
      "unable to parse '<line>': bad",
    ],
    [
      'InfluxDB 3 JSON',
      '{"error":"partial write of line protocol occurred","data":[{"original_line":"hrv,person=alice rmssd=62.7 1793571420000000000","line_number":1,"error_message":"invalid"}]}',
      '{"error":"partial write of line protocol occurred","data":[{"original_line":"<line>","line_number":1,"error_message":"invalid"}]}',
    ],
    ['a bare field', 'field type conflict: rmssd=62.7i is an integer', 'field type conflict: rmssd=<value> is an integer'],
    ['no line at all', 'database not found: "hrv"', 'database not found: "hrv"'],
  ])('%s', (_name, message, expected) => {
    expect(redactServerMessage(message)).toBe(expected);
  });

  it('shortens long messages to 300 characters', () => {
    expect(redactServerMessage('x'.repeat(1000))).toBe(`${'x'.repeat(300)}...`);
  });
});

describe('statementError', () => {
  it.each([
    ['influxd 1.x shutting down', 'engine is closed', true],
    ['a query timeout', 'query-timeout limit exceeded: timeout', true],
    ['a missing database', 'database not found: "hrv"', true],
    ['a malformed statement', 'error parsing query: found EOF, expected FROM at line 1, char 9', false],
    ['too many series', 'max-select-series limit exceeded: (1001/1000)', false],
  ])('%s retryable: %s', (_case, message, retryable) => {
    expect(statementError(message).retryable).toBe(retryable);
  });
});
