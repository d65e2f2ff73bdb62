import { INFLUX_DATASOURCE } from './common.js';
import type { RuleQuery } from './alert-rule-types.js';

/** The uid of Grafana's server-side expressions. */
const EXPRESSION_UID = '__expr__';

/** Builds an InfluxQL query of a rule, covering the `seconds` before each evaluation. */
export function influxRuleQuery(refId: string, query: string, seconds: number): RuleQuery {
  return {
    refId,
    datasourceUid: INFLUX_DATASOURCE.uid ?? '',
    relativeTimeRange: { from: seconds, to: 0 },
    model: { refId, datasource: INFLUX_DATASOURCE, rawQuery: true, query, resultFormat: 'time_series', intervalMs: 60_000, maxDataPoints: 43_200 },
  };
}

/** Reduces each series of `input` to its last value, skipping nulls, so a series without values gives no number. */
export function reduceLast(refId: string, input: string): RuleQuery {
  return {
    refId,
    datasourceUid: EXPRESSION_UID,
    model: { refId, type: 'reduce', expression: input, reducer: 'last', settings: { mode: 'dropNN' }, datasource: { type: EXPRESSION_UID, uid: EXPRESSION_UID } },
  };
}

/** Builds a math expression over reduced values, for example `$BASELINE < $LOW`. A non-zero result fires. */
export function mathExpression(refId: string, expression: string): RuleQuery {
  return {
    refId,
    datasourceUid: EXPRESSION_UID,
    model: { refId, type: 'math', expression, datasource: { type: EXPRESSION_UID, uid: EXPRESSION_UID } },
  };
}
