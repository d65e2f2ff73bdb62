/**
 * Substitutes Grafana's InfluxQL macros and template variables before a raw InfluxQL query runs,
 * the way Grafana's InfluxQL data source does. `$timeFilter` becomes
 * `time >= <from>ms and time <= <to>ms`, and `$__interval` a duration such as `1h`. A variable with
 * several values (or All) becomes a regex group `(a|b)` of its values, each regex-escaped. This is
 * test code written after Grafana's behaviour, not Grafana's own code.
 */

export interface GrafanaQueryContext {
  fromMs: number;
  toMs: number;
  /** `$__interval`, already formatted as Grafana formats it, for example `1h`. */
  interval: string;
  /** Values of each variable; a multi-value or All selection lists every value. */
  variables: Record<string, readonly string[]>;
}

/** Escapes regex metacharacters and `/`, which ends an InfluxQL regex literal. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

function formatVariable(values: readonly string[]): string {
  const escaped = values.map(escapeRegex);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Returns the query as Grafana sends it to InfluxDB. */
export function substituteGrafanaMacros(query: string, context: GrafanaQueryContext): string {
  let result = query.replaceAll('$timeFilter', `time >= ${context.fromMs}ms and time <= ${context.toMs}ms`);
  result = result.replaceAll('$__interval', context.interval);
  for (const [name, values] of Object.entries(context.variables)) {
    result = result.replace(new RegExp(`\\$${name}\\b`, 'g'), () => formatVariable(values));
  }
  if (/\$[a-z_]/i.test(result)) throw new Error(`unsubstituted variable left in: ${result}`);
  return result;
}
