import type * as common from '@grafana/grafana-foundation-sdk/common';
import { InfluxQlQueryBuilder } from './influxql-query.js';

/** The provisioned InfluxDB data source; its uid is fixed so that dashboards and rules find it. */
export const INFLUX_DATASOURCE: common.DataSourceRef = { type: 'influxdb', uid: 'hrv-influxdb' };

/**
 * Dashboard time range: 90 days shows the 60-day normal range with a month of context. It ends a
 * day ahead because a night's point sits at 10:30 UTC of its date. That time is still in the
 * future when the night is stored before 10:30 UTC, by 17.5 hours for someone at UTC+14 who
 * wakes at 07:00.
 */
export const DEFAULT_TIME_RANGE = { from: 'now-90d', to: 'now+1d' };

/** New nights arrive at most a few times a day, so a slow refresh is enough. */
export const DEFAULT_REFRESH = '15m';

/** Unit id of milliseconds in Grafana's unit list. */
export const UNIT_MS = 'ms';

/** Shows a night's time as its date. Night points sit at 10:30 UTC of their date, so the date is right from UTC-10 to UTC+13. */
export const UNIT_DATE = 'time:YYYY-MM-DD';

/** Colours of the `status` values, the same in every panel; grey is a hex colour, neutral in light and dark themes. */
export const STATUS_COLOURS: Record<string, { text: string; color: string }> = {
  below: { text: 'below', color: 'red' },
  within: { text: 'within', color: 'green' },
  above: { text: 'above', color: 'blue' },
  insufficient: { text: 'too few nights', color: '#8e8e8e' },
};

/** Builds an InfluxQL target on the provisioned data source. */
export function influxQuery(query: string): InfluxQlQueryBuilder {
  return new InfluxQlQueryBuilder(INFLUX_DATASOURCE, query);
}

