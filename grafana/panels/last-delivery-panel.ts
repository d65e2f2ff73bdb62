import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { influxQuery } from '../common.js';
import { LAST_DELIVERY } from '../panel-queries.js';

/** When HRV data last arrived for each person. */
export function lastDeliveryPanel(gridPos: dashboard.GridPos): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Last delivery')
    .description(
      'When the receiver last accepted a delivery with HRV data for each person and wearable, and how many samples it carried (0 for a night with only a summary value). ' +
        'If this is days old, the wearable has not synced or the connection was lost: see the connection events.',
    )
    .withTarget(influxQuery(LAST_DELIVERY).asTable())
    .overrideByName('Time', [
      { id: 'displayName', value: 'Last delivery' },
      { id: 'unit', value: 'dateTimeAsIso' },
    ])
    .overrideByName('samples', [{ id: 'displayName', value: 'Samples in it' }])
    .gridPos(gridPos);
}
