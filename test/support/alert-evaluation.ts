/**
 * Evaluates a provisioned alert rule's reduce and math expressions on InfluxQL results, as
 * Grafana's server-side expressions do for the forms the rules use: `reduce` with reducer `last`
 * and mode `dropNN`, and `math` with comparisons joined by `&&`. Series are matched by their
 * person and provider labels, and a series without labels joins every other. A rule whose queries
 * return no series returns no instances here; Grafana then applies the rule's `noDataState`.
 * Written for tests; not Grafana's code.
 */
import type { InfluxSeries } from './influxdb.js';

export interface RuleData {
  refId: string;
  datasourceUid: string;
  model: Record<string, unknown>;
}

/** Alert instance key: `person|provider`. */
type Values = Map<string, number>;

/** Key of a series without labels, which Grafana's math joins to every other series. */
const NO_LABELS = '';

function seriesKey(series: InfluxSeries): string {
  if (series.tags.person === undefined) return NO_LABELS;
  return `${series.tags.person}|${series.tags.provider}`;
}

function valueFor(values: Values | undefined, key: string): number | undefined {
  return values?.get(key) ?? values?.get(NO_LABELS);
}

function reduceLast(series: readonly InfluxSeries[]): Values {
  const values: Values = new Map();
  for (const one of series) {
    const column = one.columns.find((name) => name !== 'time')!;
    const numbers = one.rows.map((row) => row[column]).filter((value): value is number => typeof value === 'number');
    if (numbers.length > 0) values.set(seriesKey(one), numbers.at(-1)!);
  }
  return values;
}

const COMPARISONS: Record<string, (left: number, right: number) => boolean> = {
  '<': (left, right) => left < right,
  '<=': (left, right) => left <= right,
  '>': (left, right) => left > right,
  '>=': (left, right) => left >= right,
  '==': (left, right) => left === right,
};

function evaluateClause(clause: string, reduced: Map<string, Values>, key: string): boolean {
  const match = /^\$(\w+)\s*(<=|>=|==|<|>)\s*(\$\w+|-?\d+(?:\.\d+)?)$/.exec(clause.trim());
  if (match === null) throw new Error(`unsupported math clause: ${clause}`);
  const [, leftRef, operator, rightText] = match as unknown as [string, string, string, string];
  const left = valueFor(reduced.get(leftRef), key);
  const right = rightText.startsWith('$') ? valueFor(reduced.get(rightText.slice(1)), key) : Number(rightText);
  // A missing value is NaN in Grafana's math, and every comparison with NaN is false.
  if (left === undefined || right === undefined) return false;
  return COMPARISONS[operator]!(left, right);
}

/** Returns the `person|provider` keys (an empty string for a rule without labels) for which the condition fires. */
export function firingInstances(data: readonly RuleData[], condition: string, results: Map<string, InfluxSeries[]>): string[] {
  const reduced = new Map<string, Values>();
  for (const query of data.filter((item) => item.model.type === 'reduce')) {
    reduced.set(query.refId, reduceLast(results.get(query.model.expression as string) ?? []));
  }
  const math = data.find((item) => item.refId === condition);
  if (math?.model.type !== 'math') throw new Error(`condition ${condition} is not a math expression`);

  const keys = new Set([...reduced.values()].flatMap((values) => [...values.keys()]));
  if (keys.size > 1) keys.delete(NO_LABELS);
  const clauses = (math.model.expression as string).split('&&');
  return [...keys].filter((key) => clauses.every((clause) => evaluateClause(clause, reduced, key))).sort();
}
