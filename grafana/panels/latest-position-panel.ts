import * as common from '@grafana/grafana-foundation-sdk/common';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { influxQuery } from '../common.js';
import { LATEST_BASELINE_POSITION } from '../panel-queries.js';
import { normalRangeThresholds } from './baseline-position-panel.js';

/** Today's baseline position of each person as a bar. */
export function latestPositionPanel(): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title('Baseline today, within each normal range')
    .description(
      "Each person's latest 7-day baseline as a share of that person's normal range: 0 % is the lower bound, 100 % the upper. " +
        'Red bars are below the range, blue bars above it.',
    )
    .withTarget(influxQuery(LATEST_BASELINE_POSITION).alias('$tag_person ($tag_provider)'))
    .unit('percentunit')
    .decimals(0)
    .min(-0.5)
    .max(1.5)
    .thresholds(normalRangeThresholds())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .gridPos({ x: 16, y: 0, w: 8, h: 10 });
}
