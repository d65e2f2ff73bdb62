import * as common from '@grafana/grafana-foundation-sdk/common';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { influxQuery, UNIT_MS } from '../common.js';
import { NIGHTS_WITH_RANGE } from '../panel-queries.js';

/**
 * Nightly RMSSD as points, the 7-day baseline as a line and the normal range as a shaded band,
 * repeated for each selected person. The series are named after their column, so the band's
 * overrides find them; a person with two providers shows both in one panel.
 */
export function nightsPanel(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('Nights of $person')
    .description(
      "Each dot is one night's RMSSD. The line is the 7-day baseline (the mean of lnRMSSD over the last 7 nights), " +
        "and the shaded band is the normal range taken from the last 60 nights. A baseline that leaves the band is a lasting change, not one bad night.",
    )
    .withTarget(influxQuery(NIGHTS_WITH_RANGE).alias('$col'))
    .repeat('person')
    .repeatDirection('h')
    .maxPerRow(2)
    .unit(UNIT_MS)
    .decimals(1)
    .spanNulls(false)
    .overrideByName('rmssd', [
      { id: 'displayName', value: 'Night RMSSD' },
      { id: 'custom.drawStyle', value: 'points' },
      { id: 'custom.pointSize', value: 6 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } },
    ])
    .overrideByName('baseline_ms', [
      { id: 'displayName', value: '7-day baseline' },
      { id: 'custom.lineWidth', value: 2 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'orange' } },
    ])
    .overrideByName('normal_high_ms', [
      { id: 'displayName', value: 'Normal range, upper bound' },
      { id: 'custom.fillBelowTo', value: 'normal_low_ms' },
      { id: 'custom.fillOpacity', value: 20 },
      { id: 'custom.lineWidth', value: 0 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
    ])
    .overrideByName('normal_low_ms', [
      { id: 'displayName', value: 'Normal range, lower bound' },
      { id: 'custom.lineWidth', value: 0 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
    ])
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .gridPos({ x: 0, y: 13, w: 12, h: 9 });
}
