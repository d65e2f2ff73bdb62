import express, { type Router } from 'express';
import type { NightRow } from '../hrv-model/rolling-values.js';
import { formatDayNumber, MS_PER_DAY } from '../terra/day-numbers.js';
import type { NightReader } from './night-reader.js';
import { dayRangeParameters, rejectUnknownParameters, requiredDateParameter, tagParameter } from './query-parameters.js';

export interface ApiOptions {
  reader: NightReader;
  /** `off` when DASHBOARD_LITE_AUTH=off, so the page can warn that anyone on the network can read it. */
  authentication: 'basic' | 'off';
  /** The clock, in ms since the epoch; tests may fix it. */
  now?: () => number;
}

/** A night as the API returns it: every value in ms except lnRMSSD and CV, null when not stored. */
function toApiNight(night: NightRow) {
  return {
    date: night.date,
    rmssdMs: night.rmssdMs,
    lnRmssd: night.lnRmssd,
    samples: night.samples,
    basis: night.basis,
    baselineMs: night.baselineMs ?? null,
    normalLowMs: night.normalLowMs ?? null,
    normalHighMs: night.normalHighMs ?? null,
    cv7d: night.cv7d ?? null,
    status: night.status,
  };
}

/**
 * Serves the JSON API under /api. Every route reads InfluxDB on each request; a person or
 * provider without nights, unknown ones included, returns an empty list rather than 404.
 */
export function apiRouter(options: ApiOptions): Router {
  const { reader } = options;
  const now = options.now ?? Date.now;
  const router = express.Router();

  router.get('/people', async (request, response) => {
    rejectUnknownParameters(request.query, []);
    response.json({ authentication: options.authentication, people: await reader.listPeople() });
  });

  router.get('/nights', async (request, response) => {
    rejectUnknownParameters(request.query, ['person', 'provider', 'range', 'from', 'to']);
    const tags = { person: tagParameter(request.query, 'person'), provider: tagParameter(request.query, 'provider') };
    const { fromDay, toDay } = dayRangeParameters(request.query, Math.floor(now() / MS_PER_DAY));

    const nights = await reader.readNights(tags, fromDay, toDay);
    response.json({ ...tags, from: formatDayNumber(fromDay), to: formatDayNumber(toDay), nights: nights.map(toApiNight) });
  });

  router.get('/samples', async (request, response) => {
    rejectUnknownParameters(request.query, ['person', 'provider', 'night']);
    const tags = { person: tagParameter(request.query, 'person'), provider: tagParameter(request.query, 'provider') };
    const night = requiredDateParameter(request.query, 'night');

    const { sessions, samples } = await reader.readNightSamples(tags, night);
    response.json({ ...tags, night: formatDayNumber(night), sessions, samples });
  });

  return router;
}
