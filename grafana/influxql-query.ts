import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/**
 * The JSON of an InfluxQL target of Grafana's InfluxDB data source, in raw-query mode. The
 * foundation SDK (0.0.21) has no InfluxDB query types, so this file supplies them.
 */
export interface InfluxQlQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  /** Always true: the query text is used as written, with Grafana's macros substituted. */
  rawQuery: true;
  query: string;
  /** `time_series` gives one frame per series; `table` gives rows, for the table panel. */
  resultFormat: 'time_series' | 'table';
  /** Series name pattern, for example `$tag_person` or `$col`; left out for Grafana's default. */
  alias?: string;
}

/** Builds an InfluxQL target for a panel or an alert rule. */
export class InfluxQlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly target: InfluxQlQuery;

  constructor(datasource: common.DataSourceRef, query: string) {
    this.target = {
      refId: 'A',
      datasource,
      rawQuery: true,
      query,
      resultFormat: 'time_series',
      _implementsDataqueryVariant: () => undefined,
    };
  }

  refId(refId: string): this {
    this.target.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.target.alias = alias;
    return this;
  }

  asTable(): this {
    this.target.resultFormat = 'table';
    return this;
  }

  build(): InfluxQlQuery {
    return this.target;
  }
}
