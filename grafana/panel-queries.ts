/**
 * InfluxQL text of every dashboard panel, with Grafana's macros left in place: `$timeFilter`
 * (the dashboard's time range), `$__interval` (the width of one graph point), `$person` (one or
 * more people, formatted by Grafana as a regular expression) and `$provider`. Panels and tests
 * share these strings, so the tests run exactly what the dashboards send.
 */

/** Limits a query to the selected people and provider. */
const SELECTED = `"person" =~ /^$person$/ AND "provider" =~ /^$provider$/`;

/** The latest night of each person and provider in the time range, with its baseline and status. */
export const LAST_NIGHT = `SELECT "rmssd", "baseline_ms", "status" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider" ORDER BY time DESC LIMIT 1`;

/** The status of every night: below, within or above the normal range, or insufficient. */
export const NIGHT_STATUS = `SELECT "status" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider"`;

/** Nightly RMSSD with its 7-day baseline and 60-day normal range, for one person per panel. */
export const NIGHTS_WITH_RANGE = `SELECT "rmssd", "baseline_ms", "normal_low_ms", "normal_high_ms" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "provider"`;

/** 7-day coefficient of variation of lnRMSSD, in percent. */
export const CV_7D = `SELECT "cv_7d" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider"`;

/** Every RMSSD and SDNN sample, averaged per graph point so a 90-day range stays light. */
export const OVERNIGHT_SAMPLES = `SELECT mean("rmssd") AS "rmssd", mean("sdnn") AS "sdnn" FROM "hrv" WHERE $timeFilter AND ${SELECTED} GROUP BY time($__interval), "person", "provider" fill(none)`;

/** The 14 latest nights of each person and provider, for the table. */
export const RECENT_NIGHTS = `SELECT "rmssd", "baseline_ms", "normal_low_ms", "normal_high_ms", "status", "samples", "basis" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider" ORDER BY time DESC LIMIT 14`;

/** The time of the latest stored sample, per person and provider. */
export const LAST_SAMPLE = `SELECT last("rmssd") AS "last_sample_rmssd" FROM "hrv" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider"`;

/**
 * When the receiver last accepted a delivery with HRV values, per person and provider: the time
 * of the latest `hrv_arrival` point, with the number of samples that delivery carried.
 */
export const LAST_DELIVERY = `SELECT last("samples") AS "samples" FROM "hrv_arrival" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider"`;

/** The latest connection events (auth, deauth, access_revoked, ...) of each person and provider. */
export const CONNECTION_EVENTS = `SELECT "type", "status", "message" FROM "terra_event" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider" ORDER BY time DESC LIMIT 10`;

/**
 * Position of the 7-day baseline in the person's own normal range: 0 at the lower bound, 1 at the
 * upper bound, below 0 under the range. It compares people whose RMSSD differs several-fold.
 */
export const BASELINE_POSITION = `SELECT ("baseline_ms" - "normal_low_ms") / ("normal_high_ms" - "normal_low_ms") AS "position" FROM "hrv_night" WHERE $timeFilter AND ${SELECTED} GROUP BY "person", "provider"`;

/** The latest baseline position of each person and provider. */
export const LATEST_BASELINE_POSITION = `SELECT last("position") AS "position" FROM (${BASELINE_POSITION}) GROUP BY "person", "provider"`;

/** Query of the `person` variable: every person with a night. */
export const PERSON_VALUES = 'SHOW TAG VALUES FROM "hrv_night" WITH KEY = "person"';

/** Query of the `provider` variable: the providers of the selected people. */
export const PROVIDER_VALUES = 'SHOW TAG VALUES FROM "hrv_night" WITH KEY = "provider" WHERE "person" =~ /^$person$/';
