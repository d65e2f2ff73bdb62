import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { influxQuery } from '../common.js';
import { LAST_DELIVERY } from '../panel-queries.js';

/** When Terra last sent a sleep session for each person. */
export function lastDeliveryPanel(gridPos: dashboard.GridPos): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Last delivery')
    .description(
      'When Terra last sent a sleep session for each person and wearable (Terra\'s own send time). ' +
        'If this is days old, the wearable has not synced or the connection was lost: see the connection events.',
    )
    .withTarget(influxQuery(LAST_DELIVERY).asTable())
    .overrideByName('Time', [{ id: 'custom.hidden', value: true }])
    .overrideByName('last_delivery_ms', [
      { id: 'displayName', value: 'Last delivery' },
      { id: 'unit', value: 'dateTimeAsIso' },
    ])
    .gridPos(gridPos);
}
