import type { AlertRulesFile, ProvisionedRule } from './alert-rule-types.js';
import {
  LARGER_GAP_OF_LAST_TWO,
  LATEST_BASELINE,
  LATEST_NORMAL_LOW,
  RANGED_NIGHTS_OF_LAST_TWO,
  RECENT_SAMPLE_COUNT,
  RECENT_SESSION_COUNT,
  HEARTBEAT_MINUTES,
  RECEIVER_HEARTBEATS,
  SILENCE_HOURS,
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
 * Fires when the latest night's 7-day baseline is below that night's normal range. Nights older
 * than 3 days do not count, so a person who stopped sending data is left to the silence rule.
 */
export function baselineBelowRangeRule(): ProvisionedRule {
  return {
    uid: 'hrv-baseline-below-range',
    title: 'HRV baseline below the normal range',
    condition: 'BELOW',
    data: [
      influxRuleQuery('baseline', LATEST_BASELINE, 3 * DAY_SECONDS),
      influxRuleQuery('normal_low', LATEST_NORMAL_LOW, 3 * DAY_SECONDS),
      reduceLast('BASELINE', 'baseline'),
      reduceLast('LOW', 'normal_low'),
      mathExpression('BELOW', '$BASELINE < $LOW'),
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

/** Fires when both of the two latest nights (within 7 days) had RMSSD below their normal range. */
export function twoNightsBelowRangeRule(): ProvisionedRule {
  return {
    uid: 'hrv-two-nights-below-range',
    title: 'HRV below the normal range two nights in a row',
    condition: 'BOTH_BELOW',
    data: [
      influxRuleQuery('gap', LARGER_GAP_OF_LAST_TWO, 7 * DAY_SECONDS),
      influxRuleQuery('ranged_nights', RANGED_NIGHTS_OF_LAST_TWO, 7 * DAY_SECONDS),
      reduceLast('GAP', 'gap'),
      reduceLast('NIGHTS', 'ranged_nights'),
      mathExpression('BOTH_BELOW', '$GAP < 0 && $NIGHTS >= 2'),
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: '0s',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `${WHO}: RMSSD was below the normal range on the last 2 nights; the closer of the two was {{ printf "%.1f" $values.GAP.Value }} ms from the lower bound.`,
      description: 'Two low nights in a row are an early sign, before the 7-day baseline moves.',
      __dashboardUid__: HRV_DASHBOARD_UID,
    },
    isPaused: false,
  };
}

/**
 * Fires for each person and provider with HRV values in the last 30 days but none in the last 36
 * hours, while the receiver's heartbeat shows it running. The count queries ignore `$timeFilter`
 * and use their own windows. The heartbeat series has no labels, so Grafana's math joins it to
 * every person. Without heartbeats the condition has no data, and the receiver rule fires instead.
 */
export function silenceRule(): ProvisionedRule {
  return {
    uid: 'hrv-no-data-36h',
    title: `No HRV data for ${SILENCE_HOURS} hours`,
    condition: 'SILENT',
    data: [
      influxRuleQuery('samples', RECENT_SAMPLE_COUNT, SILENCE_HOURS * HOUR_SECONDS),
      influxRuleQuery('sessions', RECENT_SESSION_COUNT, SILENCE_HOURS * HOUR_SECONDS),
      influxRuleQuery('heartbeats', RECEIVER_HEARTBEATS, HEARTBEAT_MINUTES * 60),
      reduceLast('SAMPLES', 'samples'),
      reduceLast('SESSIONS', 'sessions'),
      reduceLast('HEARTBEATS', 'heartbeats'),
      mathExpression('SILENT', '$SAMPLES == 0 && $SESSIONS == 0 && $HEARTBEATS > 0'),
    ],
    // An empty database (a fresh install) returns no series: no alert.
    noDataState: 'OK',
    execErrState: 'Error',
    // Debounces a rule evaluation that lands just before a late upload.
    for: '15m',
    labels: { ...COMMON_LABELS },
    annotations: {
      summary: `${WHO}: no HRV sample or sleep session with HRV in the last ${SILENCE_HOURS} hours.`,
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
