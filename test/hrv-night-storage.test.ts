import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import type { SleepItem, SleepWebhookBody } from '../terra/simulator/sleep-payload.js';
import { mulberry32 } from '../terra/simulator/random.js';
import { runBuiltCli } from './support/built-cli.js';
import { findFreePort } from './support/free-port.js';
import { runRecompute } from '../cli/recompute.js';
import { loadReceiverConfig } from '../receiver/config.js';
import { startInfluxDb, type InfluxDbServer, type InfluxRow, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { referenceNights, type ReferenceNight } from './support/reference-nights.js';
import { readTerraSampleJson } from './support/terra-samples.js';
import { postSigned } from './support/signed-post.js';

// Real parts: influxd 1.6 as a child process, the built receiver as a child process on loopback,
// and the built `hrv-stack recompute`. The deliveries come from the project's own simulator and
// are signed here as Terra signs them. The expected nights come from test/support/reference-nights.ts,
// which shares no code with the receiver.

const SECRET = 'whsec-nights-7a1f';
const SIMULATION = { people: 2, nights: 120, seed: 11, endDate: '2026-11-02' };
/** Terra emission times: all deliveries were emitted after the last night, one millisecond apart. */
const EMITTED_FROM_MS = Date.UTC(2026, 10, 3, 8);

interface Delivery {
  body: string;
  orderingMs: number;
}

interface DailyItem {
  metadata: { start_time: string; end_time: string };
  heart_rate_data: { summary: { avg_hrv_rmssd: number } };
}

interface Scenario {
  inOrder: Delivery[];
  people: string[];
  /** The copy of every record that Terra emitted last, per person. */
  finalSleepItems: Map<string, SleepItem[]>;
  finalDailyItems: Map<string, DailyItem[]>;
}

function dailyBody(user: SleepWebhookBody['user'], date: string, avgRmssdMs: number): { body: unknown; item: DailyItem } {
  const template = readTerraSampleJson<{ data: Array<Record<string, unknown>> }>('daily-fitbit.json');
  const item = {
    ...template.data[0],
    metadata: { start_time: `${date}T00:00:00.000000+01:00`, end_time: `${date}T23:59:59.000000+01:00`, upload_type: 1, timestamp_localization: 0 },
    heart_rate_data: { summary: { avg_hrv_rmssd: avgRmssdMs }, detailed: { hrv_samples_rmssd: [], hrv_samples_sdnn: [] } },
  } as unknown as DailyItem;
  return { body: { ...template, user, data: [item] }, item };
}

/** Returns a copy of a session with only the first half of its RMSSD samples: an early upload. */
function earlyCopy(body: SleepWebhookBody): SleepWebhookBody {
  const item = structuredClone(body.data[0]!);
  const samples = item.heart_rate_data.detailed.hrv_samples_rmssd;
  item.heart_rate_data.detailed.hrv_samples_rmssd = samples.slice(0, Math.ceil(samples.length / 2));
  return { ...body, data: [item] };
}

/** Returns a copy whose end time is one day late, as a provider might send before correcting it. */
function wrongDateCopy(body: SleepWebhookBody): SleepWebhookBody {
  const item = structuredClone(body.data[0]!);
  const end = item.metadata.end_time;
  const nextDay = new Date(Date.parse(`${end.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  item.metadata.end_time = `${nextDay}${end.slice(10)}`;
  return { ...body, data: [item] };
}

/**
 * Builds the deliveries in the order Terra emitted them. Every simulated session is sent, and every
 * tenth night is preceded by an early half-filled copy. The last night of the first person is
 * preceded by a copy with a wrong end date. The first person also gets two daily averages, one of
 * them on a night that has a session.
 */
function buildScenario(): Scenario {
  const simulated = generateSleepDeliveries(SIMULATION);
  const people = [...new Set(simulated.map((delivery) => delivery.person))];
  const inOrder: Delivery[] = [];
  const finalSleepItems = new Map(people.map((person) => [person, [] as SleepItem[]]));
  const finalDailyItems = new Map(people.map((person) => [person, [] as DailyItem[]]));
  const emit = (body: unknown) => inOrder.push({ body: JSON.stringify(body), orderingMs: EMITTED_FROM_MS + inOrder.length });
  const lastNight = simulated.filter((delivery) => delivery.person === people[0] && !delivery.isNap).at(-1)!;

  simulated.forEach((delivery, index) => {
    if (delivery === lastNight) emit(wrongDateCopy(delivery.body));
    else if (index % 10 === 0 && !delivery.summaryOnly) emit(earlyCopy(delivery.body));
    emit(delivery.body);
    finalSleepItems.get(delivery.person)!.push(delivery.body.data[0]!);
  });

  const user = simulated.find((delivery) => delivery.person === people[0])!.body.user;
  for (const [date, average] of [['2026-11-04', 44.4], [simulated[0]!.nightDate, 99.9]] as const) {
    const daily = dailyBody(user, date, average);
    emit(daily.body);
    finalDailyItems.get(people[0]!)!.push(daily.item);
  }
  return { inOrder, people, finalSleepItems, finalDailyItems };
}

/** Shuffles the deliveries with a fixed seed and sends a fifth of them twice. */
function shuffledWithDuplicates(deliveries: readonly Delivery[]): Delivery[] {
  const random = mulberry32(20261204);
  const copies = [...deliveries, ...deliveries.filter(() => random() < 0.2)];
  for (let index = copies.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copies[index], copies[other]] = [copies[other]!, copies[index]!];
  }
  return copies;
}

async function deliver(receiver: ReceiverProcess, delivery: Delivery): Promise<void> {
  const { status } = await postSigned(receiver.webhookUrl, delivery.body, SECRET, { 'x-terra-ordering-timestamp': String(delivery.orderingMs) });
  if (status !== 200) throw new Error(`delivery answered ${status}`);
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

async function deliverAll(receiver: ReceiverProcess, deliveries: readonly Delivery[]): Promise<void> {
  const before = processedCount(receiver);
  for (const delivery of deliveries) await deliver(receiver, delivery);
  await waitFor('every delivery to be processed', () => (processedCount(receiver) >= before + deliveries.length ? true : undefined), 120_000);
}

/** Returns every hrv_night row of one person, with its date, sorted by date. */
async function nightRows(influx: InfluxDbServer, person: string): Promise<InfluxRow[]> {
  const rows = await influx.query(`SELECT * FROM hrv_night WHERE person = '${person}'`);
  return rows.map((row) => ({ ...row, date: new Date(Number(BigInt(row.time as string) / 1_000_000n)).toISOString().slice(0, 10) }));
}

function expectMatchesReference(rows: InfluxRow[], expected: ReferenceNight[]): void {
  expect(rows.map((row) => row.date)).toEqual(expected.map((night) => night.date));
  rows.forEach((row, index) => {
    const night = expected[index]!;
    const where = `night ${night.date}`;
    expect(row.basis, where).toBe(night.basis);
    expect(row.samples, where).toBe(night.samples);
    expect(row.status, where).toBe(night.status);
    expect(row.ln_rmssd as number, where).toBeCloseTo(night.ln_rmssd, 9);
    expect(Math.log(row.rmssd as number), where).toBeCloseTo(Math.log(night.rmssd), 9);
    for (const field of ['baseline_ms', 'normal_low_ms', 'normal_high_ms'] as const) {
      if (night[field] === undefined) expect(row[field], `${where} ${field}`).toBeNull();
      else expect(Math.log(row[field] as number), `${where} ${field}`).toBeCloseTo(Math.log(night[field]), 9);
    }
    if (night.cv_7d === undefined) expect(row.cv_7d, where).toBeNull();
    else expect(row.cv_7d as number, `${where} cv_7d`).toBeCloseTo(night.cv_7d, 7);
  });
}

describe('hrv_night on a real InfluxDB', () => {
  const scenario = buildScenario();
  let inOrderDb: InfluxDbServer;
  let shuffledDb: InfluxDbServer;
  let inOrderReceiver: ReceiverProcess;
  let shuffledReceiver: ReceiverProcess;

  const receiverEnv = (influx: InfluxDbServer) => ({
    TERRA_SIGNING_SECRET: SECRET,
    INFLUX_API_VERSION: '1',
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: influx.database,
    LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    inOrderDb = await startInfluxDb();
    shuffledDb = await startInfluxDb();
    inOrderReceiver = await startReceiverProcess({ env: receiverEnv(inOrderDb) });
    shuffledReceiver = await startReceiverProcess({ env: receiverEnv(shuffledDb) });
    await deliverAll(inOrderReceiver, scenario.inOrder);
    await deliverAll(shuffledReceiver, shuffledWithDuplicates(scenario.inOrder));
  }, 300_000);

  afterAll(async () => {
    await inOrderReceiver?.dispose();
    await shuffledReceiver?.dispose();
    await inOrderDb?.dispose();
    await shuffledDb?.dispose();
  });

  it('matches the definitions for every night', async () => {
    for (const person of scenario.people) {
      const expected = referenceNights(scenario.finalSleepItems.get(person)!, scenario.finalDailyItems.get(person)!, 0.5);
      expectMatchesReference(await nightRows(inOrderDb, person), expected);
    }
  });

  it('covers every basis and status', async () => {
    const rows = [...(await nightRows(inOrderDb, scenario.people[0]!)), ...(await nightRows(inOrderDb, scenario.people[1]!))];

    expect(new Set(rows.map((row) => row.basis))).toEqual(new Set(['samples', 'summary', 'daily']));
    expect(new Set(rows.map((row) => row.status))).toEqual(new Set(['insufficient', 'within', 'below', 'above']));
  });

  it('gives identical rows in any delivery order', async () => {
    for (const person of scenario.people) {
      expect(await nightRows(shuffledDb, person)).toEqual(await nightRows(inOrderDb, person));
    }
  });

  it('keeps the latest copy of every session', async () => {
    const query = 'SELECT * FROM hrv_session GROUP BY person';
    expect(await shuffledDb.query(query)).toEqual(await inOrderDb.query(query));
    const sessions = scenario.people.reduce((count, person) => count + scenario.finalSleepItems.get(person)!.length, 0);
    expect(await inOrderDb.query('SELECT * FROM hrv_session')).toHaveLength(sessions);
  });

  it('removes the night of a corrected end date', async () => {
    const rows = await nightRows(inOrderDb, scenario.people[0]!);

    expect(rows.map((row) => row.date)).not.toContain('2026-11-03');
    expect(rows.find((row) => row.date === '2026-11-04')?.basis).toBe('daily');
  });

  it('changes only the next 60 nights of one person', async () => {
    const [first, second] = scenario.people as [string, string];
    const otherBefore = await nightRows(inOrderDb, first);
    const before = await nightRows(inOrderDb, second);
    const items = scenario.finalSleepItems.get(second)!;
    const changedIndex = items.findIndex((item) => item.metadata.end_time.startsWith('2026-08-01') && !item.metadata.is_nap);
    const changed = structuredClone(items[changedIndex]!);
    for (const sample of changed.heart_rate_data.detailed.hrv_samples_rmssd) sample.hrv_rmssd = Math.round(sample.hrv_rmssd * 5) / 10;
    const body = { type: 'sleep', version: '2022-03-16', user: generateSleepDeliveries(SIMULATION).find((d) => d.person === second)!.body.user, data: [changed] };

    await deliverAll(inOrderReceiver, [{ body: JSON.stringify(body), orderingMs: EMITTED_FROM_MS + 1_000_000 }]);

    const after = await nightRows(inOrderDb, second);
    const finalItems = items.map((item, index) => (index === changedIndex ? changed : item));
    expectMatchesReference(after, referenceNights(finalItems, [], 0.5));
    expect(await nightRows(inOrderDb, first)).toEqual(otherBefore);
    const outside = (rows: InfluxRow[]) => rows.filter((row) => (row.date as string) < '2026-08-01' || (row.date as string) > '2026-09-30');
    expect(outside(after)).toEqual(outside(before));
    expect(after.find((row) => row.date === '2026-08-01')).not.toEqual(before.find((row) => row.date === '2026-08-01'));
    scenario.finalSleepItems.set(second, finalItems);
  });

  it('recomputes with another k, one person first', async () => {
    const [first, second] = scenario.people as [string, string];
    const env = { ...receiverEnv(inOrderDb), HRV_NORMAL_RANGE_SD: '1.0' };
    const secondBefore = await nightRows(inOrderDb, second);

    const one = await runBuiltCli(['recompute', '--person', first], { cwd: process.cwd(), env });

    expect(one.stderr).toBe('');
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^${first} \\(\\w+\\): \\d+ nights written, 0 deleted, \\d+ unchanged$`, 'm'));
    expectMatchesReference(await nightRows(inOrderDb, first), referenceNights(scenario.finalSleepItems.get(first)!, scenario.finalDailyItems.get(first)!, 1.0));
    expect(await nightRows(inOrderDb, second)).toEqual(secondBefore);

    const all = await runBuiltCli(['recompute'], { cwd: process.cwd(), env });

    expect(all.exitCode).toBe(0);
    expect(all.stdout).toContain('Recomputed 2 person and provider pairs with k = 1');
    expectMatchesReference(await nightRows(inOrderDb, second), referenceNights(scenario.finalSleepItems.get(second)!, [], 1.0));
  });

  it('draws a progress bar on a terminal', async () => {
    const drawn: string[] = [];
    const printed: string[] = [];
    const progress = { isTTY: true, columns: 60, write: (text: string) => drawn.push(text) };
    const output = { info: (message: string) => printed.push(message), error: (message: string) => printed.push(message) };

    const summary = await runRecompute({}, loadReceiverConfig(receiverEnv(inOrderDb)), output, progress);

    expect(summary.pairs).toBe(2);
    expect(drawn[0]!.startsWith(`\r[${'-'.repeat(30)}] 0/2 ${scenario.people[0]} `)).toBe(true);
    expect(drawn[0]!.length).toBe(60);
    expect(drawn).toContain('\r\u001b[K');
    expect(drawn.some((text) => text.startsWith(`\r[${'#'.repeat(15)}${'-'.repeat(15)}] 1/2 ${scenario.people[1]} `))).toBe(true);
    expect(printed.at(-1)).toMatch(/^Recomputed 2 person and provider pairs with k = 0.5: \d+ nights written, 0 deleted, \d+ unchanged\.$/);
  });

  it('explains an unreachable InfluxDB', async () => {
    const closedPort = await findFreePort();
    const run = await runBuiltCli(['recompute'], { cwd: process.cwd(), env: { ...receiverEnv(inOrderDb), INFLUX_URL: `http://127.0.0.1:${closedPort}` } });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('recompute stopped: InfluxDB did not respond to a query: connect ECONNREFUSED');
    expect(run.stderr).toContain('Check INFLUX_URL and the credentials, then run it again');
  });

  it('rejects an invalid HRV_NORMAL_RANGE_SD', async () => {
    const run = await runBuiltCli(['recompute'], { cwd: process.cwd(), env: { ...receiverEnv(inOrderDb), HRV_NORMAL_RANGE_SD: 'wide' } });

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('HRV_NORMAL_RANGE_SD: expected a decimal number from 0.1 to 3, such as 0.5 (got "wide")');
  });

  it('deletes nights left without sessions', async () => {
    await inOrderDb.writeLineProtocol(`hrv_night,person=ghost,provider=OURA rmssd=50,ln_rmssd=3.912023005428146,samples=3i,basis="samples",status="insufficient" ${BigInt(Date.parse('2026-10-01T10:30:00Z')) * 1_000_000n}`);

    const run = await runBuiltCli(['recompute', '--person', 'ghost'], { cwd: process.cwd(), env: receiverEnv(inOrderDb) });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('ghost (OURA): 0 nights written, 1 deleted, 0 unchanged');
    expect(await nightRows(inOrderDb, 'ghost')).toEqual([]);
  });

  it('names an unknown person', async () => {
    const run = await runBuiltCli(['recompute', '--person', 'nobody'], { cwd: process.cwd(), env: receiverEnv(inOrderDb) });

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('no sessions or daily averages are stored for person "nobody"; stored: ');
  });
});

describe.each([
  { apiVersion: '1' as const, label: 'InfluxQL DELETE' },
  { apiVersion: '2' as const, label: '/api/v2/delete through the test gateway' },
])('moved night removed with $label', ({ apiVersion }) => {
  // The person id contains quotes and a backslash, which both delete paths must quote correctly.
  const person = `o'brien "q" \\ x`;
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env: Record<string, string> = receiverInfluxEnv(influx, apiVersion);
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('keeps only the corrected night', async () => {
    const delivery = generateSleepDeliveries({ people: 1, nights: 1, seed: 3, endDate: '2026-11-02' })[0]!;
    const body = { ...delivery.body, user: { ...delivery.body.user, reference_id: person } };
    const wrong = wrongDateCopy(body);

    await deliverAll(receiver, [
      { body: JSON.stringify(wrong), orderingMs: EMITTED_FROM_MS },
      { body: JSON.stringify(body), orderingMs: EMITTED_FROM_MS + 1 },
    ]);

    const escaped = person.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    const nights = await influx.query(`SELECT rmssd, basis FROM hrv_night WHERE person = '${escaped}'`);
    const sessions = await influx.query(`SELECT night_date FROM hrv_session WHERE person = '${escaped}'`);
    expect(nights.map((row) => new Date(Number(BigInt(row.time as string) / 1_000_000n)).toISOString().slice(0, 10))).toEqual(['2026-11-02']);
    expect(sessions.map((row) => row.night_date)).toEqual(['2026-11-02']);
    const model = receiver.logs.filter((line) => line.msg === 'delivery processed').at(-1)?.model;
    expect(model).toEqual({
      sessions: { written: 1, unchanged: 0, olderCopies: 0 },
      dailies: { written: 0, unchanged: 0, olderCopies: 0 },
      nights: { written: 1, deleted: 1, unchanged: 0 },
    });
  });
});

describe('model update after a failed night write', () => {
  // The test gateway returns 503 to the next write that carries hrv_night lines, after the
  // session was written. The worker retries the delivery, which must complete the update.
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = receiverInfluxEnv(influx, '2');
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  function sessionFor(person: string): SleepWebhookBody {
    const delivery = generateSleepDeliveries({ people: 1, nights: 1, seed: 9, endDate: '2026-11-02' })[0]!;
    return { ...delivery.body, user: { ...delivery.body.user, reference_id: person } };
  }

  async function nightsOf(person: string): Promise<Array<[string, number]>> {
    const rows = await influx.query(`SELECT rmssd FROM hrv_night WHERE person = '${person}'`);
    return rows.map((row) => [new Date(Number(BigInt(row.time as string) / 1_000_000n)).toISOString().slice(0, 10), row.rmssd as number]);
  }

  it('writes the night of a fuller copy on the retry', async () => {
    const full = sessionFor('retry-fuller');
    const early = earlyCopy(full);
    await deliverAll(receiver, [{ body: JSON.stringify(early), orderingMs: EMITTED_FROM_MS }]);
    influx.gateway.failNextWrites(503, 1, { onlyIfBodyContains: 'hrv_night' });

    await deliverAll(receiver, [{ body: JSON.stringify(full), orderingMs: EMITTED_FROM_MS + 1 }]);

    const expected = referenceNights([full.data[0]!], [], 0.5);
    const stored = await nightsOf('retry-fuller');
    expect(stored.map(([date]) => date)).toEqual(['2026-11-02']);
    expect(stored[0]![1]).toBeCloseTo(expected[0]!.rmssd, 9);
    expect(influx.gateway.writes.filter((write) => write.injected)).toHaveLength(1);
  });

  it('moves the night of a moved copy on the retry', async () => {
    const first = sessionFor('retry-moved');
    const moved = structuredClone(first);
    const item = moved.data[0]!;
    const shift = (text: string) => `${new Date(Date.parse(`${text.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)}${text.slice(10)}`;
    item.metadata.start_time = shift(item.metadata.start_time);
    item.metadata.end_time = shift(item.metadata.end_time);
    await deliverAll(receiver, [{ body: JSON.stringify(first), orderingMs: EMITTED_FROM_MS }]);
    influx.gateway.failNextWrites(503, 1, { onlyIfBodyContains: 'hrv_night' });

    await deliverAll(receiver, [{ body: JSON.stringify(moved), orderingMs: EMITTED_FROM_MS + 1 }]);

    expect((await nightsOf('retry-moved')).map(([date]) => date)).toEqual(['2026-11-03']);
    const sessions = await influx.query(`SELECT night_date FROM hrv_session WHERE person = 'retry-moved'`);
    expect(sessions.map((row) => row.night_date)).toEqual(['2026-11-03']);
    expect(influx.gateway.writes.filter((write) => write.injected)).toHaveLength(2);
  });
});
