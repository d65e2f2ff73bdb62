import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { influxQuery, UNIT_MS } from '../common.js';
import { OVERNIGHT_SAMPLES } from '../panel-queries.js';

/** Builds the panel of the raw RMSSD and SDNN samples, averaged per graph point, which is most useful zoomed to one night. */
export function overnightSamplesPanel(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('Overnight RMSSD and SDNN samples')
    .description(
      'Every HRV sample the wearable sent, usually one each 5 minutes of sleep. Over 90 days each point is an average; ' +
        'drag across a single night to see how HRV rose and fell through it.',
    )
    .withTarget(influxQuery(OVERNIGHT_SAMPLES).alias('$tag_person $col'))
    .unit(UNIT_MS)
    .decimals(1)
    .spanNulls(false)
    .gridPos({ x: 0, y: 31, w: 24, h: 8 });
}
