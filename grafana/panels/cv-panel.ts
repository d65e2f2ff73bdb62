import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { influxQuery } from '../common.js';
import { CV_7D } from '../panel-queries.js';

/** Builds the panel of the 7-day coefficient of variation of lnRMSSD, per person. */
export function cvPanel(gridPos: dashboard.GridPos): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('Night-to-night variation (CV over 7 days)')
    .description(
      'How much the nightly lnRMSSD varied over the last 7 nights, as a percentage of its mean. ' +
        'A rising CV often comes before a falling baseline: the body is coping less evenly with its load. It needs at least 3 nights in the week.',
    )
    .withTarget(influxQuery(CV_7D).alias('$tag_person ($tag_provider)'))
    .unit('percent')
    .decimals(1)
    .gridPos(gridPos);
}
