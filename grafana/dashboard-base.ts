import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DEFAULT_REFRESH, DEFAULT_TIME_RANGE } from './common.js';
import { personVariable, providerVariable } from './variables.js';

/** Starts a dashboard with the settings both dashboards share: tags, browser time zone, range, refresh and the two variables. */
export function dashboardBase(title: string, uid: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['hrv', 'hrv-stack'])
    .editable()
    .timezone('browser')
    .time(DEFAULT_TIME_RANGE)
    .refresh(DEFAULT_REFRESH)
    .withVariable(personVariable())
    .withVariable(providerVariable());
}
