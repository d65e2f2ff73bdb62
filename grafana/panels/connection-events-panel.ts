import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { influxQuery } from '../common.js';
import { CONNECTION_EVENTS } from '../panel-queries.js';

/** Builds the table of each person's latest Terra connection events. */
export function connectionEventsPanel(gridPos: dashboard.GridPos): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Connection events')
    .description(
      'What Terra reported about each wearable connection: auth (connected), user_reauth (reconnected), deauth or access_revoked ' +
        '(disconnected: no more data arrives until the person connects again), connection_error and permission_change.',
    )
    .withTarget(influxQuery(CONNECTION_EVENTS).asTable())
    .overrideByName('Time', [{ id: 'unit', value: 'dateTimeAsIso' }])
    .gridPos(gridPos);
}
