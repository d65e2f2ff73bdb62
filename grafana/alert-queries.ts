/**
 * InfluxQL of the alert rules. `$timeFilter` is the rule query's relative time range, which
 * Grafana substitutes as it does for panels. Every query groups by person and provider, so each
 * person and wearable is its own alert instance.
 */

/**
 * The latest night of each person and provider, with every field the baseline rule reads. It
 * selects `status`, which every night has, so a night without a baseline or range is still the
 * latest row: the rule must not pair it with an older night's values.
 */
const LATEST_NIGHT = `SELECT "baseline_ms" - "normal_low_ms" AS "margin_ms", "baseline_ms", "normal_low_ms", "status" FROM "hrv_night" WHERE $timeFilter GROUP BY "person", "provider" ORDER BY time DESC LIMIT 1`;

/** Selects one field of the latest night. A person whose latest night lacks the field gets no series. */
function latestNightField(field: 'margin_ms' | 'baseline_ms' | 'normal_low_ms'): string {
  return `SELECT "${field}" FROM (${LATEST_NIGHT}) GROUP BY "person", "provider" ORDER BY time DESC`;
}

/** The latest night's 7-day baseline minus that same night's lower bound of the normal range, in ms. */
export const LATEST_BASELINE_MARGIN = latestNightField('margin_ms');

/** The latest night's 7-day baseline, for the notification text. */
export const LATEST_BASELINE = latestNightField('baseline_ms');

/** The latest night's lower bound of the normal range, for the notification text. */
export const LATEST_NORMAL_LOW = latestNightField('normal_low_ms');

/**
 * Seconds the two-nights rule looks back. Night points sit at 10:30 UTC, one per date, so any
 * 48-hour window contains the points of exactly two consecutive dates, when both were stored.
 */
export const TWO_NIGHTS_WINDOW_SECONDS = 48 * 3600;

/** RMSSD minus the lower bound of the normal range on each night in the window; null without a range. */
const NIGHT_GAPS = `SELECT "rmssd" - "normal_low_ms" AS "gap_ms" FROM "hrv_night" WHERE $timeFilter GROUP BY "person", "provider"`;

/** The larger gap of the nights in the window: below 0 means every one of them was under its range. */
export const LARGER_NIGHT_GAP = `SELECT max("gap_ms") AS "gap_ms" FROM (${NIGHT_GAPS}) GROUP BY "person", "provider"`;

/** The smaller gap, so a notification can state how far the nights fell below the range. */
export const SMALLER_NIGHT_GAP = `SELECT min("gap_ms") AS "gap_ms" FROM (${NIGHT_GAPS}) GROUP BY "person", "provider"`;

/** How many nights in the window have a normal range; 2 means both consecutive nights are there. */
export const RANGED_NIGHTS = `SELECT count("gap_ms") AS "nights" FROM (${NIGHT_GAPS}) GROUP BY "person", "provider"`;

/** Hours without an arriving delivery after which a person counts as silent. */
export const SILENCE_HOURS = 36;

/** Days a silent person stays in the silence rule; after that the alert resolves on its own. */
export const SILENCE_MEMORY_DAYS = 30;

/** Counts arrival points in a window, per person and provider; `* 0` makes it a zero series. */
function countArrivals(window: string, factor: '' | ' * 0'): string {
  return `(SELECT count("samples")${factor} AS "arrivals" FROM "hrv_arrival" WHERE time > now() - ${window} GROUP BY "person", "provider")`;
}

/**
 * Deliveries with HRV values that arrived in the last 36 hours, per person and provider, with 0
 * for everyone whose data arrived in the last 30 days but not in the last 36 hours. A plain
 * count over 36 hours returns no series at all for a silent person, so Grafana could not tell
 * that person apart. The zero-valued subquery adds a series for each person seen recently, and
 * the sum keeps the real count. `hrv_arrival` is stamped with the time the receiver accepted the
 * delivery, so nights recorded days ago but synced now count as arriving now.
 */
export const RECENT_ARRIVAL_COUNT =
  `SELECT sum("arrivals") AS "arrivals" FROM ` +
  `${countArrivals(`${SILENCE_HOURS}h`, '')}, ${countArrivals(`${SILENCE_MEMORY_DAYS}d`, ' * 0')} ` +
  `GROUP BY "person", "provider"`;

/** Minutes without a receiver heartbeat after which the receiver counts as stopped. */
export const HEARTBEAT_MINUTES = 10;

/** Heartbeat points the receiver wrote in the rule's time range; no series at all when there were none. */
export const RECEIVER_HEARTBEATS = `SELECT count("up") AS "heartbeats" FROM "hrv_stack_heartbeat" WHERE $timeFilter`;
