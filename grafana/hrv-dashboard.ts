import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboardBase } from './dashboard-base.js';
import { connectionEventsPanel } from './panels/connection-events-panel.js';
import { cvPanel } from './panels/cv-panel.js';
import { lastDeliveryPanel } from './panels/last-delivery-panel.js';
import { lastNightPanel } from './panels/last-night-panel.js';
import { lastSamplePanel } from './panels/last-sample-panel.js';
import { nightStatusPanel } from './panels/night-status-panel.js';
import { nightsPanel } from './panels/nights-panel.js';
import { overnightSamplesPanel } from './panels/overnight-samples-panel.js';
import { recentNightsPanel } from './panels/recent-nights-panel.js';

export const HRV_DASHBOARD_UID = 'hrv-nights';

/** The main dashboard: each person's nights against their own baseline and normal range. */
export function hrvDashboard(): dashboard.Dashboard {
  return dashboardBase('HRV nights', HRV_DASHBOARD_UID, 'Nightly RMSSD of each person against their 7-day baseline and 60-day normal range, with the raw samples and data freshness.')
    .withPanel(lastNightPanel())
    .withPanel(nightStatusPanel({ x: 16, y: 0, w: 8, h: 6 }))
    .withPanel(nightsPanel())
    .withPanel(cvPanel({ x: 0, y: 22, w: 24, h: 8 }))
    .withPanel(overnightSamplesPanel())
    .withPanel(recentNightsPanel())
    .withPanel(lastSamplePanel({ x: 0, y: 49, w: 8, h: 8 }))
    .withPanel(lastDeliveryPanel({ x: 8, y: 49, w: 8, h: 8 }))
    .withPanel(connectionEventsPanel({ x: 16, y: 49, w: 8, h: 8 }))
    .build();
}
