import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import { influxQuery, UNIT_MS } from '../common.js';
import { LAST_NIGHT } from '../panel-queries.js';
import { statusMappings } from '../status-mappings.js';

/** Last night's RMSSD beside the 7-day baseline and the night's status, per person. */
export function lastNightPanel(): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title('Last night against the 7-day baseline')
    .description(
      "Each person's latest night in the time range: the night's RMSSD, the 7-day baseline it is compared with, and its status. " +
        'Red means the night is below the normal range, green within, blue above; grey means too few nights for a range yet.',
    )
    .withTarget(influxQuery(LAST_NIGHT).alias('$tag_person $col'))
    .unit(UNIT_MS)
    .decimals(1)
    .mappings(statusMappings())
    // Only the status mapping colours a box. The RMSSD and baseline values get a transparent
    // fixed colour, because Grafana's default thresholds would turn any value from 80 ms red.
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor('transparent'))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([{ value: null, color: 'transparent' }]))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false).fields('/.*/'))
    .gridPos({ x: 0, y: 0, w: 16, h: 6 });
}
