import type { AlertRulesFile, ProvisionedRule } from './alert-rule-types.js';
import {
  HEARTBEAT_MINUTES,
  LARGER_NIGHT_GAP,
  LATEST_BASELINE,
  LATEST_BASELINE_MARGIN,
  LATEST_NORMAL_LOW,
  RANGED_NIGHTS,
  RECEIVER_HEARTBEATS,
  RECENT_ARRIVAL_COUNT,
  SILENCE_HOURS,
  SMALLER_NIGHT_GAP,
  TWO_NIGHTS_WINDOW_SECONDS,
} from './alert-queries.js';
import { HRV_DASHBOARD_UID } from './hrv-dashboard.js';
import { influxRuleQuery, mathExpression, reduceLast } from './rule-queries.js';

const HOUR_SECONDS = 3600;
const DAY_SECONDS = 24 * HOUR_SECONDS;

/** Labels every rule carries besides the person and provider labels of its series. */
const COMMON_LABELS = { stack: 'hrv-stack', severity: 'warning' };

/** Start of every summary: the person and the provider the alert is about. */
const WHO = '{{ $labels.person }} ({{ $labels.provider }})';

/**
 * Fires when the latest night's 7-day baseline is below that same night's normal range. A latest
 * night without a baseline or a range does not fire, whatever earlier nights had. Nights older
 * than 3 days do not count, so a person who stopped sending data is left to the silence rule.
 */
export function baselineBelowRangeRule(): ProvisionedRule {
  return {
    uid: 'hrv-baseline-below-range',
    title: 'HRV baseline below the normal range',
    condition: 'BELOW',
    data: [
      influxRuleQuery('margin', LATEST_BASELINE_MARGIN, 3 * DAY_SECONDS),
      influxRuleQuery('baseline', LATEST_BASELINE, 3 * DAY_SECONDS),
      influxRuleQuery('normal_low', LATEST_NORMAL_LOW, 3 * DAY_SECONDS),
      reduceLast('MARGIN', 'margin'),
      reduceLast('BASELINE', 'baseline'),
      reduceLast('LOW', 'normal_low'),
      mathExpression('BELOW', '$MARGIN < 0'),
    ],
    // No nights yet, or too few for a baseline and a range: nothing to report.
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0s',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `${WHO}: 7-day baseline {{ printf "%.1f" $values.BASELINE.Value }} ms is below the normal range, which starts at {{ printf "%.1f" $values.LOW.Value }} ms.`,
      description: 'The 7-day mean of nightly lnRMSSD has dropped below the range of the last 60 nights: a lasting change, often from illness, stress, poor sleep or training load.',
      __dashboardUid__: HRV_DASHBOARD_UID,
    },
    isPaused: false,
  };
}

/**
 * Fires when the nights of two consecutive dates both had RMSSD below their normal range. The
 * 48-hour window ends at the evaluation, so a night counts from 10:30 UTC of its date on.
 */
export function twoNightsBelowRangeRule(): ProvisionedRule {
  return {
    uid: 'hrv-two-nights-below-range',
    title: 'HRV below the normal range two nights in a row',
    condition: 'BOTH_BELOW',
    data: [
      influxRuleQuery('gap', LARGER_NIGHT_GAP, TWO_NIGHTS_WINDOW_SECONDS),
      influxRuleQuery('deepest_gap', SMALLER_NIGHT_GAP, TWO_NIGHTS_WINDOW_SECONDS),
      influxRuleQuery('ranged_nights', RANGED_NIGHTS, TWO_NIGHTS_WINDOW_SECONDS),
      reduceLast('GAP', 'gap'),
      reduceLast('DEEPEST', 'deepest_gap'),
      reduceLast('NIGHTS', 'ranged_nights'),
      // Distances under the lower bound as positive numbers, for the summary.
      mathExpression('LEAST_UNDER', 'abs($GAP)'),
      mathExpression('MOST_UNDER', 'abs($DEEPEST)'),
      mathExpression('BOTH_BELOW', '$GAP < 0 && $NIGHTS >= 2'),
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0s',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `${WHO}: RMSSD was below the normal range on the last 2 nights, {{ printf "%.1f" $values.LEAST_UNDER.Value }} ms and {{ printf "%.1f" $values.MOST_UNDER.Value }} ms under its lower bound.`,
      description: 'Two low nights in a row are an early sign, before the 7-day baseline moves.',
      __dashboardUid__: HRV_DASHBOARD_UID,
    },
    isPaused: false,
  };
}

/**
 * Fires for each person and provider whose HRV data arrived in the last 30 days but not in the
 * last 36 hours, while the receiver's heartbeat shows it running. Arrival is the time the receiver
 * accepted a delivery (`hrv_arrival`), not the time the samples were recorded. The count query
 * ignores `$timeFilter` and uses its own windows. The heartbeat series has no labels, so Grafana's
 * math joins it to every person. Without heartbeats the condition has no data, and the receiver
 * rule fires instead.
 */
export function silenceRule(): ProvisionedRule {
  return {
    uid: 'hrv-no-data-36h',
    title: `No HRV data arrived for ${SILENCE_HOURS} hours`,
    condition: 'SILENT',
    data: [
      influxRuleQuery('arrivals', RECENT_ARRIVAL_COUNT, SILENCE_HOURS * HOUR_SECONDS),
      influxRuleQuery('heartbeats', RECEIVER_HEARTBEATS, HEARTBEAT_MINUTES * 60),
      reduceLast('ARRIVALS', 'arrivals'),
      reduceLast('HEARTBEATS', 'heartbeats'),
      mathExpression('SILENT', '$ARRIVALS == 0 && $HEARTBEATS > 0'),
    ],
    // An empty database (a fresh install) returns no series: no alert.
    noDataState: 'OK',
    execErrState: 'Error',
    // Debounces a rule evaluation that lands just before a late upload.
    for: '15m',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `${WHO}: no delivery with HRV data arrived in the last ${SILENCE_HOURS} hours.`,
      description: 'Check that the wearable syncs, and the Connection events panel for deauth or access_revoked. If every person fires at once, check that Terra still delivers to the receiver.',
      __dashboardUid__: HRV_DASHBOARD_UID,
    },
    isPaused: false,
  };
}

/**
 * Fires when the receiver wrote no heartbeat for 10 minutes: it stopped, or cannot write to
 * InfluxDB. No heartbeat points means no series, so `noDataState` is `Alerting` here.
 */
export function receiverStoppedRule(): ProvisionedRule {
  return {
    uid: 'hrv-receiver-heartbeat',
    title: 'hrv-stack receiver stopped writing',
    condition: 'STOPPED',
    data: [
      influxRuleQuery('heartbeats', RECEIVER_HEARTBEATS, HEARTBEAT_MINUTES * 60),
      reduceLast('HEARTBEATS', 'heartbeats'),
      mathExpression('STOPPED', '$HEARTBEATS == 0'),
    ],
    noDataState: 'Alerting',
    execErrState: 'Error',
    for: '5m',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `The receiver wrote no heartbeat to InfluxDB in the last ${HEARTBEAT_MINUTES} minutes, so no new data is stored.`,
      description: 'Check `docker compose ps` and `docker compose logs receiver`. With HEARTBEAT_INTERVAL_SECONDS=0 the receiver writes no heartbeat: pause this rule then.',
    },
    isPaused: false,
  };
}

/** Builds the provisioned alert rules file: one group, evaluated every 5 minutes. */
export function alertRulesFile(): AlertRulesFile {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'hrv',
        folder: 'HRV',
        interval: '5m',
        rules: [baselineBelowRangeRule(), twoNightsBelowRangeRule(), silenceRule(), receiverStoppedRule()],
      },
    ],
  };
}
