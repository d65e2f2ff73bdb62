import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { influxQuery } from '../common.js';
import { BASELINE_POSITION } from '../panel-queries.js';

/** Thresholds drawn as lines at the bounds of the normal range (0 and 100 %). */
export function normalRangeThresholds(): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'red' },
    { value: 0, color: 'green' },
    { value: 1, color: 'blue' },
  ]);
}

/** Builds the panel of each person's baseline relative to their own normal range, over time. */
export function baselinePositionPanel(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('Baseline within each normal range')
    .description(
      "Where each person's 7-day baseline sits in that person's own normal range: 0 % is the lower bound, 100 % the upper bound. " +
        'People with very different RMSSD become comparable: a line under 0 % (red zone) means that baseline has dropped below its range.',
    )
    .withTarget(influxQuery(BASELINE_POSITION).alias('$tag_person ($tag_provider)'))
    .unit('percentunit')
    .decimals(0)
    .thresholds(normalRangeThresholds())
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea))
    .gridPos({ x: 0, y: 0, w: 16, h: 10 });
}
