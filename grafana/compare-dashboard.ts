import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DEFAULT_REFRESH, DEFAULT_TIME_RANGE } from './common.js';
import { baselinePositionPanel } from './panels/baseline-position-panel.js';
import { cvPanel } from './panels/cv-panel.js';
import { latestPositionPanel } from './panels/latest-position-panel.js';
import { nightStatusPanel } from './panels/night-status-panel.js';
import { personVariable, providerVariable } from './variables.js';

export const COMPARE_DASHBOARD_UID = 'hrv-compare';

/** People side by side, each relative to their own normal range, for a coach or a family. */
export function compareDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('HRV people side by side')
    .uid(COMPARE_DASHBOARD_UID)
    .description("Every selected person's baseline as a position in that person's own normal range, so that people with different RMSSD compare directly.")
    .tags(['hrv', 'hrv-stack'])
    .editable()
    .timezone('browser')
    .time(DEFAULT_TIME_RANGE)
    .refresh(DEFAULT_REFRESH)
    .withVariable(personVariable())
    .withVariable(providerVariable())
    .withPanel(baselinePositionPanel())
    .withPanel(latestPositionPanel())
    .withPanel(nightStatusPanel({ x: 0, y: 10, w: 24, h: 8 }))
    .withPanel(cvPanel({ x: 0, y: 18, w: 24, h: 8 }))
    .build();
}
