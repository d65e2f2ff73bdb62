import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import { influxQuery } from '../common.js';
import { NIGHT_STATUS } from '../panel-queries.js';
import { statusMappings } from '../status-mappings.js';

/** Builds the panel of every night's status for each selected person, one row per person and provider. */
export function nightStatusPanel(gridPos: dashboard.GridPos): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title('Status of every night')
    .description(
      "One row per person: each night's RMSSD compared with that person's own 60-day normal range. " +
        'Red is below the range, green within, blue above, grey too few nights for a range. A run of red nights is worth a look at sleep, illness or training load.',
    )
    .withTarget(influxQuery(NIGHT_STATUS).alias('$tag_person ($tag_provider)'))
    .mappings(statusMappings())
    .showValue(common.VisibilityMode.Never)
    .mergeValues(false)
    .gridPos(gridPos);
}
