/**
 * InfluxQL of the alert rules. `$timeFilter` is the rule query's relative time range, which
 * Grafana substitutes as it does for panels. Every query groups by person and provider, so each
 * person and wearable is its own alert instance.
 */

/** The latest night's 7-day baseline, per person and provider. */
export const LATEST_BASELINE = `SELECT "baseline_ms" FROM "hrv_night" WHERE $timeFilter GROUP BY "person", "provider" ORDER BY time DESC LIMIT 1`;

/** The latest night's lower bound of the normal range, per person and provider. */
export const LATEST_NORMAL_LOW = `SELECT "normal_low_ms" FROM "hrv_night" WHERE $timeFilter GROUP BY "person", "provider" ORDER BY time DESC LIMIT 1`;

/** RMSSD minus the lower bound of the normal range on each of the two latest nights; null without a range. */
const LAST_TWO_GAPS = `SELECT "rmssd" - "normal_low_ms" AS "gap_ms" FROM "hrv_night" WHERE $timeFilter GROUP BY "person", "provider" ORDER BY time DESC LIMIT 2`;

/** The larger gap of the two latest nights: below 0 means both nights were under the range. */
export const LARGER_GAP_OF_LAST_TWO = `SELECT max("gap_ms") AS "gap_ms" FROM (${LAST_TWO_GAPS}) GROUP BY "person", "provider" ORDER BY time DESC`;

/** How many of the two latest nights have a normal range; 2 means both gaps above are real. */
export const RANGED_NIGHTS_OF_LAST_TWO = `SELECT count("gap_ms") AS "nights" FROM (${LAST_TWO_GAPS}) GROUP BY "person", "provider" ORDER BY time DESC`;

/** Hours without samples after which a person counts as silent. */
export const SILENCE_HOURS = 36;

/** Days a silent person stays in the silence rule; after that the alert resolves on its own. */
export const SILENCE_MEMORY_DAYS = 30;

/** Counts HRV values of one measurement in a window, per person and provider; `* 0` makes it a zero series. */
function countValues(measurement: string, window: string, factor: '' | ' * 0'): string {
  return `(SELECT count("rmssd")${factor} AS "hrv_values" FROM "${measurement}" WHERE time > now() - ${window} GROUP BY "person", "provider")`;
}

/**
 * Counts of one measurement's HRV values in the last 36 hours per person and provider, with 0
 * for everyone who had values there in the last 30 days but none in the last 36 hours. A plain
 * count over 36 hours returns no series at all for a silent person, so Grafana could not tell
 * that person apart. The zero-valued subquery adds a series for each person seen recently, and
 * the sum keeps the real count. InfluxQL keeps the measurement name in the result, so each measurement
 * needs its own query to give one series per person and provider.
 */
function recentValueCount(measurement: string): string {
  return (
    `SELECT sum("hrv_values") AS "hrv_values" FROM ` +
    `${countValues(measurement, `${SILENCE_HOURS}h`, '')}, ${countValues(measurement, `${SILENCE_MEMORY_DAYS}d`, ' * 0')} ` +
    `GROUP BY "person", "provider"`
  );
}

/** HRV samples of the last 36 hours, by their own time. */
export const RECENT_SAMPLE_COUNT = recentValueCount('hrv');

/** Sleep sessions with an HRV value that started in the last 36 hours; a summary-only night has no samples. */
export const RECENT_SESSION_COUNT = recentValueCount('hrv_session');

/** Minutes without a receiver heartbeat after which the receiver counts as stopped. */
export const HEARTBEAT_MINUTES = 10;

/** Heartbeat points the receiver wrote in the rule's time range; no series at all when there were none. */
export const RECEIVER_HEARTBEATS = `SELECT count("up") AS "heartbeats" FROM "hrv_stack_heartbeat" WHERE $timeFilter`;
