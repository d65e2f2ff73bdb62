import * as table from '@grafana/grafana-foundation-sdk/table';
import { influxQuery, UNIT_DATE, UNIT_MS } from '../common.js';
import { RECENT_NIGHTS } from '../panel-queries.js';
import { statusMappings } from '../status-mappings.js';

/** Builds the table of each person's latest 14 nights, one row per night. */
export function recentNightsPanel(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Recent nights')
    .description(
      'The last 14 nights of each selected person. Basis says where the value came from: samples (the mean of the night\'s RMSSD samples), ' +
        'summary (the provider\'s nightly average) or daily (a daily average, when no sleep session was sent). Samples is how many readings the night had.',
    )
    .withTarget(influxQuery(RECENT_NIGHTS).asTable())
    .unit(UNIT_MS)
    .decimals(1)
    .overrideByName('Time', [
      { id: 'displayName', value: 'Date' },
      { id: 'unit', value: UNIT_DATE },
    ])
    .overrideByName('rmssd', [{ id: 'displayName', value: 'RMSSD' }])
    .overrideByName('baseline_ms', [{ id: 'displayName', value: 'Baseline' }])
    .overrideByName('normal_low_ms', [{ id: 'displayName', value: 'Range low' }])
    .overrideByName('normal_high_ms', [{ id: 'displayName', value: 'Range high' }])
    .overrideByName('status', [
      { id: 'displayName', value: 'Status' },
      { id: 'mappings', value: statusMappings() },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ])
    .overrideByName('samples', [
      { id: 'displayName', value: 'Samples' },
      { id: 'unit', value: 'none' },
      { id: 'decimals', value: 0 },
    ])
    .overrideByName('basis', [{ id: 'displayName', value: 'Basis' }])
    .gridPos({ x: 0, y: 39, w: 24, h: 10 });
}
