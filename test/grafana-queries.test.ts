/**
 * Runs every dashboard and alert query, with Grafana's macros substituted, against nights
 * delivered through the receiver. Real: influxd 1.6 as a child process and the built receiver on
 * loopback, fed signed webhooks. Stand-ins: the deliveries come from the project's simulator and
 * are signed here; Grafana itself does not run, so test/support/grafana-macros.ts substitutes the
 * macros and test/support/alert-evaluation.ts evaluates the rules' expressions. Expected nights
 * come from test/support/reference-nights.ts, which shares no code with the receiver.
 *
 * Four simulated people. One is as simulated. One's RMSSD falls to 40 % for the last 10 nights
 * (baseline below the range, two low nights in a row). One's nights end 2 days before today but
 * arrive now (no silence alert). One's nights today and 2 days ago are at 40 % with yesterday's
 * night missing (two low nights, but not in a row). The alert tests add two people
 * by writing points directly: one whose last arrival is 40 hours old (silence) and one whose
 * latest night has a baseline but no range (no baseline alert).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import type { AlertRulesFile } from '../grafana/alert-rule-types.js';
import * as alertQueries from '../grafana/alert-queries.js';
import { DEFAULT_TIME_RANGE } from '../grafana/common.js';
import { generatedFiles } from '../grafana/generated-files.js';
import * as panelQueries from '../grafana/panel-queries.js';
import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import type { SimulatedSleepDelivery } from '../terra/simulator/sleep-deliveries.js';
import type { SleepItem } from '../terra/simulator/sleep-payload.js';
import { firingInstances, type RuleData } from './support/alert-evaluation.js';
import { substituteGrafanaMacros } from './support/grafana-macros.js';
import { startInfluxDb, type InfluxDbServer, type InfluxSeries } from './support/influxdb.js';
import { referenceNights, type ReferenceNight } from './support/reference-nights.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { readTerraSampleJson } from './support/terra-samples.js';
import { postSigned } from './support/signed-post.js';

const SECRET = 'whsec-grafana-queries-5c2e';
const DAY_MS = 86_400_000;
/** Today's UTC date: the simulated nights end this morning, so the silence rule finds fresh samples. */
const TODAY = new Date().toISOString().slice(0, 10);
const TODAY_MS = Date.parse(`${TODAY}T00:00:00Z`);
const DROP_FROM = new Date(TODAY_MS - 9 * DAY_MS).toISOString().slice(0, 10);
/** The late person's last night: its samples end about 2 days before today, yet arrive now. */
const LATE_AFTER = new Date(TODAY_MS - 2 * DAY_MS).toISOString().slice(0, 10);
const YESTERDAY = new Date(TODAY_MS - DAY_MS).toISOString().slice(0, 10);
/** The gapped person's low nights: 2 days ago and today, with yesterday's night never delivered. */
const GAPPED_LOW_NIGHTS = [new Date(TODAY_MS - 2 * DAY_MS).toISOString().slice(0, 10), TODAY];
/** Returns the milliseconds of a dashboard range end such as `now-90d` or `now+1d`, as Grafana reads it now. */
function relativeTimeMs(text: string): number {
  const match = /^now([+-]\d+)d$/.exec(text);
  if (match === null) throw new Error(`unsupported relative time ${text}`);
  return Date.now() + Number(match[1]) * DAY_MS;
}

/** The dashboards' default range, so that a night whose 10:30 UTC point is still ahead must be in it. */
const RANGE = { fromMs: relativeTimeMs(DEFAULT_TIME_RANGE.from), toMs: relativeTimeMs(DEFAULT_TIME_RANGE.to) };

interface Delivery {
  body: string;
  orderingMs: number;
  person: string;
}

interface Scenario {
  simulated: SimulatedSleepDelivery[];
  people: [steady: string, dropping: string, late: string, gapped: string];
  itemsByPerson: Map<string, SleepItem[]>;
  deliveries: Delivery[];
  expectedNights: Map<string, ReferenceNight[]>;
}

/** Scales a night's RMSSD samples and summary average to 40 %. */
function lowerNight(item: SleepItem): void {
  for (const sample of item.heart_rate_data.detailed.hrv_samples_rmssd) sample.hrv_rmssd = Math.round(sample.hrv_rmssd * 4) / 10;
  item.heart_rate_data.summary.avg_hrv_rmssd = Math.round(item.heart_rate_data.summary.avg_hrv_rmssd * 4) / 10;
}

/**
 * Builds the deliveries: the dropping person's last 10 nights at 40 %, the late person's last 2
 * days left out, and the gapped person's yesterday left out with the nights around it at 40 %.
 */
function buildScenario(seed: number): Scenario {
  const simulated = generateSleepDeliveries({ people: 4, nights: 75, seed, endDate: TODAY });
  const people = [...new Set(simulated.map((delivery) => delivery.person))] as Scenario['people'];
  const [, dropping, late, gapped] = people;
  const itemsByPerson = new Map<string, SleepItem[]>(people.map((person) => [person, []]));
  const deliveries: Delivery[] = [];
  for (const delivery of simulated) {
    if (delivery.person === late && delivery.nightDate > LATE_AFTER) continue;
    if (delivery.person === gapped && delivery.nightDate === YESTERDAY) continue;
    const body = structuredClone(delivery.body);
    const item = body.data[0]!;
    if (delivery.person === dropping && delivery.nightDate >= DROP_FROM) lowerNight(item);
    if (delivery.person === gapped && GAPPED_LOW_NIGHTS.includes(delivery.nightDate)) lowerNight(item);
    itemsByPerson.get(delivery.person)!.push(item);
    deliveries.push({ body: JSON.stringify(body), orderingMs: TODAY_MS - 7 * DAY_MS + deliveries.length, person: delivery.person });
  }
  const expectedNights = new Map(people.map((person) => [person, referenceNights(itemsByPerson.get(person)!, [], 0.5)]));
  return { simulated, people, itemsByPerson, deliveries, expectedNights };
}

/** Nights of the last `days` days up to now, by the 10:30 UTC time of their points. */
function nightsWithin(nights: ReferenceNight[], days: number): ReferenceNight[] {
  const nightMs = (night: ReferenceNight) => Date.parse(`${night.date}T10:30:00Z`);
  return nights.filter((night) => nightMs(night) <= Date.now() && nightMs(night) > Date.now() - days * DAY_MS);
}

/** Returns whether the reference model puts the latest night's baseline (within 3 days) below its range. */
function baselineBelowRange(nights: ReferenceNight[]): boolean {
  const night = nightsWithin(nights, 3).at(-1);
  return night?.baseline_ms !== undefined && night.normal_low_ms !== undefined && night.baseline_ms < night.normal_low_ms;
}

/** Returns whether the reference model puts both of the gapped person's delivered low nights below their range. */
function gappedNightsBelowRange(nights: ReferenceNight[]): boolean {
  const lowNights = nights.filter((night) => GAPPED_LOW_NIGHTS.includes(night.date));
  return lowNights.length === 2 && lowNights.every((night) => night.normal_low_ms !== undefined && night.rmssd < night.normal_low_ms);
}

/**
 * Picks the first seed from 23 where the dropping person's baseline is below range today and the
 * steady and late people's are not, and both of the gapped person's low nights are below their
 * range. The simulated nights depend on today's date, and an unchanged person's 7-day baseline
 * falls under the range on some days by chance, which would make the expected alerts depend on
 * the date. The gapped person's baseline may go either way, so the tests compute it.
 */
function chooseScenario(): Scenario {
  for (let seed = 23; seed < 73; seed += 1) {
    const scenario = buildScenario(seed);
    const [steady, dropping, late, gapped] = scenario.people.map((person) => scenario.expectedNights.get(person)!) as [ReferenceNight[], ReferenceNight[], ReferenceNight[], ReferenceNight[]];
    const baselinesAsIntended = baselineBelowRange(dropping) && !baselineBelowRange(steady) && !baselineBelowRange(late);
    if (baselinesAsIntended && gappedNightsBelowRange(gapped)) return scenario;
  }
  throw new Error('no seed from 23 to 72 puts only the dropping person of steady, dropping and late below range with low gapped nights');
}

const { simulated, people, itemsByPerson, deliveries, expectedNights } = chooseScenario();
const [steady, dropping, late, gapped] = people;
const DELIVERED_PEOPLE = [steady, dropping, late, gapped];
/** People whose latest night's baseline the reference model puts below the range. */
const BASELINE_BELOW = DELIVERED_PEOPLE.filter((person) => baselineBelowRange(expectedNights.get(person)!));
const providerOf = new Map(simulated.map((delivery) => [delivery.person, delivery.body.user.provider]));
const DEAUTH_MS = TODAY_MS - 3 * DAY_MS;

/** Terra's deauth sample, sent for the late person's connection 3 days before today. */
function deauthDelivery(): Delivery {
  const body = readTerraSampleJson<{ user: Record<string, unknown> }>('deauth.json');
  const user = simulated.find((delivery) => delivery.person === late)!.body.user;
  body.user = { ...body.user, user_id: user.user_id, provider: user.provider, reference_id: late };
  return { body: JSON.stringify(body), orderingMs: DEAUTH_MS, person: late };
}


async function deliver(receiver: ReceiverProcess, delivery: Delivery): Promise<void> {
  const { status } = await postSigned(receiver.webhookUrl, delivery.body, SECRET, { 'x-terra-ordering-timestamp': String(delivery.orderingMs) });
  if (status !== 200) throw new Error(`delivery answered ${status}`);
}

function dateOf(nanoseconds: unknown): string {
  return new Date(Number(BigInt(nanoseconds as string) / 1_000_000n)).toISOString().slice(0, 10);
}

function everyone(): Record<string, string[]> {
  return { person: DELIVERED_PEOPLE, provider: [...new Set(providerOf.values())] };
}

describe('Grafana queries on delivered nights', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let deliveredFromMs = 0;
  let deliveredUntilMs = 0;

  const run = (query: string, variables = everyone(), interval = '1h'): Promise<InfluxSeries[]> =>
    influx.querySeries(substituteGrafanaMacros(query, { ...RANGE, interval, variables }));

  beforeAll(async () => {
    influx = await startInfluxDb();
    receiver = await startReceiverProcess({
      env: { TERRA_SIGNING_SECRET: SECRET, INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, LOG_LEVEL: 'info' },
    });
    deliveredFromMs = Date.now();
    for (const delivery of [...deliveries, deauthDelivery()]) await deliver(receiver, delivery);
    deliveredUntilMs = Date.now();
    const processed = () => receiver.logs.filter((line) => line.msg === 'delivery processed').length;
    await waitFor('every delivery to be processed', () => (processed() >= deliveries.length + 1 ? true : undefined), 180_000);
  }, 300_000);

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('lists people and providers for the variables', async () => {
    const people = await run(panelQueries.PERSON_VALUES);
    const providers = await run(panelQueries.PROVIDER_VALUES, { ...everyone(), person: [dropping] });

    expect(people[0]!.rows.map((row) => row.value)).toEqual([...DELIVERED_PEOPLE].sort());
    expect(providers[0]!.rows.map((row) => row.value)).toEqual([providerOf.get(dropping)]);
  });

  it('returns the last night of each person', async () => {
    const series = await run(panelQueries.LAST_NIGHT);

    expect(series.map((one) => one.tags.person).sort()).toEqual([...DELIVERED_PEOPLE].sort());
    for (const one of series) {
      const last = expectedNights.get(one.tags.person!)!.at(-1)!;
      expect(one.rows).toHaveLength(1);
      expect(dateOf(one.rows[0]!.time), one.tags.person).toBe(last.date);
      expect(one.rows[0]!.rmssd as number).toBeCloseTo(last.rmssd, 9);
      expect(one.rows[0]!.baseline_ms as number).toBeCloseTo(last.baseline_ms!, 9);
      expect(one.rows[0]!.status).toBe(last.status);
    }
  });

  it('returns every night with its status and range for one person', async () => {
    const statuses = await run(panelQueries.NIGHT_STATUS, { ...everyone(), person: [dropping] });
    const nights = await run(panelQueries.NIGHTS_WITH_RANGE, { ...everyone(), person: [dropping] });
    const expected = expectedNights.get(dropping)!;

    expect(statuses).toHaveLength(1);
    expect(statuses[0]!.rows.map((row) => [dateOf(row.time), row.status])).toEqual(expected.map((night) => [night.date, night.status]));
    expect(nights[0]!.rows).toHaveLength(expected.length);
    nights[0]!.rows.forEach((row, index) => {
      const night = expected[index]!;
      for (const field of ['rmssd', 'baseline_ms', 'normal_low_ms', 'normal_high_ms'] as const) {
        if (night[field] === undefined) expect(row[field], `${night.date} ${field}`).toBeNull();
        else expect(row[field] as number, `${night.date} ${field}`).toBeCloseTo(night[field], 9);
      }
    });
  });

  it('returns the 7-day CV and the 14 recent nights', async () => {
    const cv = await run(panelQueries.CV_7D, { ...everyone(), person: [steady] });
    const recent = await run(panelQueries.RECENT_NIGHTS, { ...everyone(), person: [steady] });
    const expected = expectedNights.get(steady)!;

    expect(cv[0]!.rows.filter((row) => row.cv_7d !== null).map((row) => Number((row.cv_7d as number).toFixed(6)))).toEqual(
      expected.filter((night) => night.cv_7d !== undefined).map((night) => Number(night.cv_7d!.toFixed(6))),
    );
    expect(recent[0]!.rows.map((row) => [dateOf(row.time), row.status, row.basis, row.samples])).toEqual(
      expected.slice(-14).reverse().map((night) => [night.date, night.status, night.basis, night.samples]),
    );
  });

  it('averages the overnight samples per interval', async () => {
    const series = await run(panelQueries.OVERNIGHT_SAMPLES, { ...everyone(), person: [steady] }, '1h');
    const hourly = new Map<number, number[]>();
    for (const item of itemsByPerson.get(steady)!) {
      for (const sample of item.heart_rate_data.detailed.hrv_samples_rmssd) {
        const hour = Math.floor(Date.parse(sample.timestamp) / 3_600_000);
        hourly.set(hour, [...(hourly.get(hour) ?? []), sample.hrv_rmssd]);
      }
    }
    const rows = series[0]!.rows.filter((row) => row.rmssd !== null);

    expect(rows).toHaveLength(hourly.size);
    for (const row of rows) {
      const values = hourly.get(Number(BigInt(row.time as string) / 3_600_000_000_000n))!;
      expect(row.rmssd as number).toBeCloseTo(values.reduce((sum, value) => sum + value, 0) / values.length, 9);
    }
  });

  it('returns the last sample and the last delivery of each person', async () => {
    const samples = await run(panelQueries.LAST_SAMPLE);
    const arrivals = await run(panelQueries.LAST_DELIVERY, everyone(), '1h');

    for (const person of DELIVERED_PEOPLE) {
      const items = itemsByPerson.get(person)!;
      const lastSampleMs = Math.max(...items.flatMap((item) => item.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => Date.parse(sample.timestamp))));
      const lastItem = items.at(-1)!.heart_rate_data.detailed;
      const sample = samples.find((one) => one.tags.person === person)!;
      const arrival = arrivals.find((one) => one.tags.person === person)!;
      const arrivalMs = Number(BigInt(arrival.rows[0]!.time as string) / 1_000_000n);
      expect(Number(BigInt(sample.rows[0]!.time as string) / 1_000_000n), person).toBe(lastSampleMs);
      // The arrival is when the receiver accepted the delivery, not when the night was recorded.
      expect(arrivalMs, person).toBeGreaterThanOrEqual(deliveredFromMs);
      expect(arrivalMs, person).toBeLessThanOrEqual(deliveredUntilMs);
      expect(arrival.rows[0]!.samples, person).toBe(lastItem.hrv_samples_rmssd.length + lastItem.hrv_samples_sdnn.length);
    }
  });

  it('places each baseline within its own normal range', async () => {
    const latest = await run(panelQueries.LATEST_BASELINE_POSITION);

    for (const one of latest) {
      const night = expectedNights.get(one.tags.person!)!.filter((item) => item.normal_low_ms !== undefined && item.baseline_ms !== undefined).at(-1)!;
      const position = (night.baseline_ms! - night.normal_low_ms!) / (night.normal_high_ms! - night.normal_low_ms!);
      expect(one.rows[0]!.position as number, one.tags.person).toBeCloseTo(position, 9);
    }
    expect(latest.find((one) => one.tags.person === dropping)!.rows[0]!.position as number).toBeLessThan(0);
  });

  it('returns the connection events', async () => {
    const events = await run(panelQueries.CONNECTION_EVENTS);

    expect(events.map((one) => one.tags)).toEqual([{ person: late, provider: providerOf.get(late) }]);
    expect(events[0]!.rows).toEqual([{ time: String(BigInt(DEAUTH_MS) * 1_000_000n), type: 'deauth', status: 'success', message: 'User has deauthenticated' }]);
  });

  describe('alert rules', () => {
    const rulesFile = parse(generatedFiles().get('grafana/provisioning/alerting/hrv-rules.yaml')!) as AlertRulesFile;
    const rules = rulesFile.groups[0]!.rules;

    /** Runs a rule's InfluxQL queries over their relative time ranges, ending now, as Grafana evaluates them. */
    async function evaluate(uid: string, toMs = Date.now()): Promise<string[]> {
      const rule = rules.find((candidate) => candidate.uid === uid)!;
      const results = new Map<string, InfluxSeries[]>();
      for (const query of rule.data.filter((item) => item.datasourceUid === 'hrv-influxdb')) {
        const fromMs = toMs - query.relativeTimeRange!.from * 1000;
        const text = substituteGrafanaMacros(query.model.query as string, { fromMs, toMs, interval: '1m', variables: {} });
        results.set(query.refId, await influx.querySeries(text));
      }
      return firingInstances(rule.data as RuleData[], rule.condition, results);
    }

    const key = (person: string) => `${person}|${providerOf.get(person) ?? 'OURA'}`;
    /** Written directly: a person whose last delivery arrived 40 hours ago. */
    const QUIET = 'quiet-person';
    /** Written directly: a person whose latest night has a baseline but no range. */
    const UNRANGED = 'unranged-person';

    it('fires baseline below range as expected', async () => {
      // chooseScenario() made the reference model fire for the dropping person and not for the steady or late one.
      expect(BASELINE_BELOW).toContain(dropping);
      expect(await evaluate('hrv-baseline-below-range')).toEqual(BASELINE_BELOW.map(key).sort());
    });

    it('fires two low nights on consecutive dates only', async () => {
      // At 12:00 UTC today the 48-hour window contains the nights of yesterday and today.
      const noonMs = TODAY_MS + 12 * 3_600_000;
      const expected = DELIVERED_PEOPLE.filter((person) => {
        const nights = expectedNights.get(person)!.filter((night) => night.date === YESTERDAY || night.date === TODAY);
        return nights.length === 2 && nights.every((night) => night.normal_low_ms !== undefined && night.rmssd < night.normal_low_ms);
      });

      // chooseScenario() made both of the gapped person's delivered low nights fall below the range.
      expect(gappedNightsBelowRange(expectedNights.get(gapped)!)).toBe(true);
      expect(expected).toContain(dropping);
      expect(expected).not.toContain(gapped);
      expect(await evaluate('hrv-two-nights-below-range', noonMs)).toEqual(expected.map(key).sort());
    });

    it('compares baseline with the same night range', async () => {
      // The latest night has a baseline but no range yet; the night before had a range above
      // that baseline. Pairing the two would fire.
      const nightNs = (date: string) => BigInt(Date.parse(`${date}T10:30:00Z`)) * 1_000_000n;
      const twoDaysAgo = new Date(TODAY_MS - 2 * DAY_MS).toISOString().slice(0, 10);
      await influx.writeLineProtocol([
        `hrv_night,person=${UNRANGED},provider=OURA rmssd=55,baseline_ms=50,normal_low_ms=60,normal_high_ms=80,status="below" ${nightNs(twoDaysAgo)}`,
        `hrv_night,person=${UNRANGED},provider=OURA rmssd=52,baseline_ms=50,status="insufficient" ${nightNs(YESTERDAY)}`,
      ]);

      const margins = await influx.querySeries(substituteGrafanaMacros(alertQueries.LATEST_BASELINE_MARGIN, { fromMs: Date.now() - 3 * DAY_MS, toMs: Date.now(), interval: '1m', variables: {} }));

      // The latest night's margin is null, which Grafana's reduce drops, so there is no value to compare.
      expect(margins.find((one) => one.tags.person === UNRANGED)!.rows).toEqual([{ time: String(nightNs(YESTERDAY)), margin_ms: null }]);
      expect(await evaluate('hrv-baseline-below-range')).toEqual(BASELINE_BELOW.map(key).sort());
    });

    it('fires silence by arrival, quiet person only', async () => {
      const sinceMs = Date.now() - alertQueries.SILENCE_HOURS * 3_600_000;
      const lateSampleTimes = itemsByPerson.get(late)!.flatMap((item) => item.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => Date.parse(sample.timestamp)));
      // The quiet person's last delivery arrived 40 hours ago, 4 hours past the silence limit.
      await influx.writeLineProtocol(`hrv_arrival,person=${QUIET},provider=OURA samples=120i ${Date.now() - 40 * 3_600_000}`, 'ms');

      const arrivals = await influx.querySeries(alertQueries.RECENT_ARRIVAL_COUNT);
      const countOf = (person: string) => arrivals.find((one) => one.tags.person === person)!.rows[0]!.arrivals;

      // The late person's samples are all older than 36 hours, but they arrived now.
      expect(Math.max(...lateSampleTimes)).toBeLessThan(sinceMs);
      expect(arrivals.map((one) => one.tags.person).sort()).toEqual([...DELIVERED_PEOPLE, QUIET].sort());
      expect(countOf(late)).toBeGreaterThan(0);
      expect(countOf(QUIET)).toBe(0);
      expect(await evaluate('hrv-no-data-36h')).toEqual([`${QUIET}|OURA`]);
    });

    it('keeps silence quiet without heartbeats', async () => {
      expect(await evaluate('hrv-no-data-36h', Date.now() + 11 * 60_000)).toEqual([]);
    });

    it('fires receiver stopped on missing heartbeats', async () => {
      const rule = rules.find((candidate) => candidate.uid === 'hrv-receiver-heartbeat')!;
      const heartbeats = await influx.querySeries(substituteGrafanaMacros(alertQueries.RECEIVER_HEARTBEATS, { fromMs: Date.now() + 60_000, toMs: Date.now() + 11 * 60_000, interval: '1m', variables: {} }));

      const current = await influx.querySeries(substituteGrafanaMacros(alertQueries.RECEIVER_HEARTBEATS, { fromMs: Date.now() - 10 * 60_000, toMs: Date.now(), interval: '1m', variables: {} }));

      expect(current[0]!.rows[0]!.heartbeats as number).toBeGreaterThan(0);
      expect(await evaluate('hrv-receiver-heartbeat')).toEqual([]);
      // Ten minutes from now no heartbeat of this test exists: no series, so Grafana applies noDataState.
      expect(heartbeats).toEqual([]);
      expect(rule.noDataState).toBe('Alerting');
    });
  });
});
