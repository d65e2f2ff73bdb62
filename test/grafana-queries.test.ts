/**
 * Runs every dashboard and alert query, with Grafana's macros substituted, against nights
 * delivered through the receiver. Real: influxd 1.6 as a child process and the built receiver on
 * loopback, fed signed webhooks. Stand-ins: the deliveries come from the project's simulator and
 * are signed here; Grafana itself does not run, so test/support/grafana-macros.ts substitutes the
 * macros and test/support/alert-evaluation.ts evaluates the rules' expressions. Expected nights
 * come from test/support/reference-nights.ts, which shares no code with the receiver.
 *
 * Three people: one as simulated, one whose RMSSD falls to 40 % for the last 10 nights (baseline
 * below the range), and one who stops sending 4 days before today (silence).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import type { AlertRulesFile } from '../grafana/alert-rule-types.js';
import * as alertQueries from '../grafana/alert-queries.js';
import { generatedFiles } from '../grafana/generated-files.js';
import * as panelQueries from '../grafana/panel-queries.js';
import { signTerraBody } from '../terra/signature.js';
import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import type { SimulatedSleepDelivery } from '../terra/simulator/sleep-deliveries.js';
import type { SleepItem } from '../terra/simulator/sleep-payload.js';
import { firingInstances, type RuleData } from './support/alert-evaluation.js';
import { substituteGrafanaMacros } from './support/grafana-macros.js';
import { startInfluxDb, type InfluxDbServer, type InfluxSeries } from './support/influxdb.js';
import { referenceNights, type ReferenceNight } from './support/reference-nights.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { readTerraSampleJson } from './support/terra-samples.js';

const SECRET = 'whsec-grafana-queries-5c2e';
const DAY_MS = 86_400_000;
/** Today's UTC date: the simulated nights end this morning, so the silence rule finds fresh samples. */
const TODAY = new Date().toISOString().slice(0, 10);
const TODAY_MS = Date.parse(`${TODAY}T00:00:00Z`);
const DROP_FROM = new Date(TODAY_MS - 9 * DAY_MS).toISOString().slice(0, 10);
const SILENT_AFTER = new Date(TODAY_MS - 4 * DAY_MS).toISOString().slice(0, 10);
/** Dashboard range: 90 days up to the end of today, which contains every delivered night. */
const RANGE = { fromMs: TODAY_MS - 90 * DAY_MS, toMs: TODAY_MS + DAY_MS - 1 };

interface Delivery {
  body: string;
  orderingMs: number;
  person: string;
}

interface Scenario {
  simulated: SimulatedSleepDelivery[];
  people: [steady: string, dropping: string, silent: string];
  itemsByPerson: Map<string, SleepItem[]>;
  deliveries: Delivery[];
  expectedNights: Map<string, ReferenceNight[]>;
}

/** Builds the deliveries: the dropping person's late nights at 40 %, the silent person's last 4 days left out. */
function buildScenario(seed: number): Scenario {
  const simulated = generateSleepDeliveries({ people: 3, nights: 75, seed, endDate: TODAY });
  const people = [...new Set(simulated.map((delivery) => delivery.person))] as Scenario['people'];
  const [, dropping, silent] = people;
  const itemsByPerson = new Map<string, SleepItem[]>(people.map((person) => [person, []]));
  const deliveries: Delivery[] = [];
  for (const delivery of simulated) {
    if (delivery.person === silent && delivery.nightDate > SILENT_AFTER) continue;
    const body = structuredClone(delivery.body);
    const item = body.data[0]!;
    if (delivery.person === dropping && delivery.nightDate >= DROP_FROM) {
      for (const sample of item.heart_rate_data.detailed.hrv_samples_rmssd) sample.hrv_rmssd = Math.round(sample.hrv_rmssd * 4) / 10;
      item.heart_rate_data.summary.avg_hrv_rmssd = Math.round(item.heart_rate_data.summary.avg_hrv_rmssd * 4) / 10;
    }
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

/**
 * Picks the first seed from 23 whose steady person's baseline stays in range today. The simulated
 * nights depend on today's date, and an unchanged person's 7-day baseline falls under the range
 * on some days by chance, which would make the expected alerts depend on the date.
 */
function chooseScenario(): Scenario {
  for (let seed = 23; seed < 73; seed += 1) {
    const scenario = buildScenario(seed);
    const firing = scenario.people.filter((person) => baselineBelowRange(scenario.expectedNights.get(person)!));
    if (firing.length === 1 && firing[0] === scenario.people[1]) return scenario;
  }
  throw new Error('no seed from 23 to 72 gives a scenario where only the dropping person is below range');
}

const { simulated, people, itemsByPerson, deliveries, expectedNights } = chooseScenario();
const [steady, dropping, silent] = people;
const providerOf = new Map(simulated.map((delivery) => [delivery.person, delivery.body.user.provider]));
const DEAUTH_MS = TODAY_MS - 3 * DAY_MS;

/** Terra's deauth sample, sent for the silent person's connection 3 days before today. */
function deauthDelivery(): Delivery {
  const body = readTerraSampleJson<{ user: Record<string, unknown> }>('deauth.json');
  const user = simulated.find((delivery) => delivery.person === silent)!.body.user;
  body.user = { ...body.user, user_id: user.user_id, provider: user.provider, reference_id: silent };
  return { body: JSON.stringify(body), orderingMs: DEAUTH_MS, person: silent };
}


async function deliver(receiver: ReceiverProcess, delivery: Delivery): Promise<void> {
  const headers = {
    'content-type': 'application/json',
    'terra-signature': signTerraBody(delivery.body, SECRET, Math.floor(Date.now() / 1000)),
    'x-terra-ordering-timestamp': String(delivery.orderingMs),
  };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body: delivery.body, headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`delivery answered ${response.status}`);
}

function dateOf(nanoseconds: unknown): string {
  return new Date(Number(BigInt(nanoseconds as string) / 1_000_000n)).toISOString().slice(0, 10);
}

function everyone(): Record<string, string[]> {
  return { person: [steady, dropping, silent], provider: [...new Set(providerOf.values())] };
}

describe('Grafana queries on delivered nights', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  const run = (query: string, variables = everyone(), interval = '1h'): Promise<InfluxSeries[]> =>
    influx.querySeries(substituteGrafanaMacros(query, { ...RANGE, interval, variables }));

  beforeAll(async () => {
    influx = await startInfluxDb();
    receiver = await startReceiverProcess({
      env: { TERRA_SIGNING_SECRET: SECRET, INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, LOG_LEVEL: 'info' },
    });
    for (const delivery of [...deliveries, deauthDelivery()]) await deliver(receiver, delivery);
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

    expect(people[0]!.rows.map((row) => row.value)).toEqual([steady, dropping, silent].sort());
    expect(providers[0]!.rows.map((row) => row.value)).toEqual([providerOf.get(dropping)]);
  });

  it('returns the last night of each person', async () => {
    const series = await run(panelQueries.LAST_NIGHT);

    expect(series.map((one) => one.tags.person).sort()).toEqual([steady, dropping, silent].sort());
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
    const sessions = await run(panelQueries.LAST_DELIVERY);

    for (const person of [steady, dropping, silent]) {
      const items = itemsByPerson.get(person)!;
      const lastSampleMs = Math.max(...items.flatMap((item) => item.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => Date.parse(sample.timestamp))));
      const lastOrderingMs = Math.max(...deliveries.filter((delivery) => delivery.person === person).map((delivery) => delivery.orderingMs));
      const sample = samples.find((one) => one.tags.person === person)!;
      expect(Number(BigInt(sample.rows[0]!.time as string) / 1_000_000n), person).toBe(lastSampleMs);
      expect(sessions.find((one) => one.tags.person === person)!.rows[0]!.last_delivery_ms, person).toBe(lastOrderingMs);
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

    expect(events.map((one) => one.tags)).toEqual([{ person: silent, provider: providerOf.get(silent) }]);
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

    const key = (person: string) => `${person}|${providerOf.get(person)}`;

    it('fires baseline below range for the dropping person only', async () => {
      // chooseScenario() made the reference model fire for the dropping person only.
      expect(await evaluate('hrv-baseline-below-range')).toEqual([key(dropping)]);
    });

    it('fires two low nights as the reference nights say', async () => {
      const expected = [steady, dropping, silent].filter((person) => {
        const lastTwo = nightsWithin(expectedNights.get(person)!, 7).slice(-2);
        return lastTwo.length === 2 && lastTwo.every((night) => night.normal_low_ms !== undefined && night.rmssd < night.normal_low_ms);
      });

      expect(expected).toContain(dropping);
      expect(await evaluate('hrv-two-nights-below-range')).toEqual(expected.map(key).sort());
    });

    it('fires silence for the silent person only', async () => {
      const sinceMs = Date.now() - alertQueries.SILENCE_HOURS * 3_600_000;
      const expected = [steady, dropping, silent].filter((person) =>
        itemsByPerson.get(person)!.every((item) => {
          const sampleTimes = item.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => Date.parse(sample.timestamp));
          return Date.parse(item.metadata.start_time) <= sinceMs && sampleTimes.every((time) => time <= sinceMs);
        }),
      );
      const samples = await influx.querySeries(alertQueries.RECENT_SAMPLE_COUNT);
      const sessions = await influx.querySeries(alertQueries.RECENT_SESSION_COUNT);

      expect(expected).toEqual([silent]);
      expect(samples.map((one) => one.tags.person).sort()).toEqual([steady, dropping, silent].sort());
      expect(sessions.map((one) => one.tags.person).sort()).toEqual([steady, dropping, silent].sort());
      expect(samples.find((one) => one.tags.person === silent)!.rows[0]!.hrv_values).toBe(0);
      expect(sessions.find((one) => one.tags.person === silent)!.rows[0]!.hrv_values).toBe(0);
      expect(await evaluate('hrv-no-data-36h')).toEqual([key(silent)]);
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
