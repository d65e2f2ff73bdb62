/**
 * Grafana's file-provisioning shape of alert rules (`apiVersion: 1`, `groups`), which differs
 * from the HTTP API shape that the foundation SDK builds: it names the folder by title and
 * carries the queries under `data`.
 */

/** One query or server-side expression of a rule. */
export interface RuleQuery {
  refId: string;
  datasourceUid: string;
  /** Seconds before now that the query covers; Grafana turns it into `$timeFilter`. */
  relativeTimeRange?: { from: number; to: number };
  model: Record<string, unknown>;
}

export type NoDataState = 'OK' | 'NoData' | 'Alerting' | 'KeepLast';
export type ExecErrState = 'OK' | 'Error' | 'Alerting' | 'KeepLast';

export interface ProvisionedRule {
  uid: string;
  title: string;
  /** refId of the expression whose non-zero result fires the alert. */
  condition: string;
  data: RuleQuery[];
  noDataState: NoDataState;
  execErrState: ExecErrState;
  /** How long the condition must hold before the alert fires, for example `0s` or `15m`. */
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  isPaused: boolean;
}

export interface ProvisionedRuleGroup {
  orgId: number;
  name: string;
  /** Folder title; Grafana creates the folder when it is missing. */
  folder: string;
  /** Evaluation interval, for example `5m`. */
  interval: string;
  rules: ProvisionedRule[];
}

export interface AlertRulesFile {
  apiVersion: 1;
  groups: ProvisionedRuleGroup[];
}
