import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboardBase } from './dashboard-base.js';
import { baselinePositionPanel } from './panels/baseline-position-panel.js';
import { cvPanel } from './panels/cv-panel.js';
import { latestPositionPanel } from './panels/latest-position-panel.js';
import { nightStatusPanel } from './panels/night-status-panel.js';

export const COMPARE_DASHBOARD_UID = 'hrv-compare';

/** People side by side, each relative to their own normal range, for a coach or a family. */
export function compareDashboard(): dashboard.Dashboard {
  return dashboardBase('HRV people side by side', COMPARE_DASHBOARD_UID, "Every selected person's baseline as a position in that person's own normal range, so that people with different RMSSD compare directly.")
    .withPanel(baselinePositionPanel())
    .withPanel(latestPositionPanel())
    .withPanel(nightStatusPanel({ x: 0, y: 10, w: 24, h: 8 }))
    .withPanel(cvPanel({ x: 0, y: 18, w: 24, h: 8 }))
    .build();
}
