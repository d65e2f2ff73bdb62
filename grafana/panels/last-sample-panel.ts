import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { influxQuery, UNIT_MS } from '../common.js';
import { LAST_SAMPLE } from '../panel-queries.js';

/** When each person's newest HRV sample was taken. */
export function lastSamplePanel(gridPos: dashboard.GridPos): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Last sample')
    .description(
      'The time of the newest HRV reading stored for each person and wearable, with its RMSSD. ' +
        'Compare it with the last delivery: a recent delivery with an old last sample means the wearable uploads sleep without HRV.',
    )
    .withTarget(influxQuery(LAST_SAMPLE).asTable())
    .overrideByName('Time', [
      { id: 'displayName', value: 'Last sample' },
      { id: 'unit', value: 'dateTimeAsIso' },
    ])
    .overrideByName('last_sample_rmssd', [
      { id: 'displayName', value: 'RMSSD' },
      { id: 'unit', value: UNIT_MS },
      { id: 'decimals', value: 1 },
    ])
    .gridPos(gridPos);
}
