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

/**
 * Samples of the last 36 hours per person and provider, with 0 for everyone who sent samples in
 * the last 30 days but none in the last 36 hours. A plain count over 36 hours returns no series
 * at all for a silent person, so Grafana could not tell that person apart; the second subquery
 * adds a zero-valued series for each person seen recently, and the sum keeps the real count.
 */
export const RECENT_SAMPLE_COUNT =
  `SELECT sum("samples") AS "samples" FROM ` +
  `(SELECT count("rmssd") AS "samples" FROM "hrv" WHERE time > now() - ${SILENCE_HOURS}h GROUP BY "person", "provider"), ` +
  `(SELECT count("rmssd") * 0 AS "samples" FROM "hrv" WHERE time > now() - ${SILENCE_MEMORY_DAYS}d GROUP BY "person", "provider") ` +
  `GROUP BY "person", "provider"`;
