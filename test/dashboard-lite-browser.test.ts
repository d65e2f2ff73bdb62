import { existsSync, mkdirSync } from 'node:fs';
import type { Chart as ChartClass } from 'chart.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { NightRow } from '../hrv-model/rolling-values.js';
import { nightLine } from '../influx/model-points.js';
import { formatDayNumber, MS_PER_DAY } from '../terra/day-numbers.js';
import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import { startDashboardLiteProcess, type DashboardLiteProcess } from './support/dashboard-lite-process.js';
import { startInfluxDb, type InfluxDbServer } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { postSigned } from './support/signed-post.js';

// Real parts: Debian's Chromium driven by playwright-core, the built dashboard-lite and receiver
// as child processes on loopback, and influxd 1.6. The simulator's sleep deliveries are signed
// here and sent to the receiver; only the two nights of a second provider are written to
// hrv_night directly. The test is skipped, and prints why, where /usr/bin/chromium is missing.

// The page's globals, for the callbacks that page.evaluate runs in the browser; the tests'
// tsconfig has no DOM library.
declare const window: { Chart: typeof ChartClass };
declare const document: {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  documentElement: { scrollWidth: number };
};

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`dashboard-lite browser test skipped: ${CHROMIUM} is missing. Install Debian's chromium package (apt-get install chromium), as .ci/run does.`);
}

const SECRET = 'whsec-dashboard-browser-51e0';
const PASSWORD = 'browser-test-password-8f2a';
const TODAY_DAY = Math.floor(Date.now() / MS_PER_DAY);
const SIMULATION = { people: 2, nights: 40, seed: 31, endDate: formatDayNumber(TODAY_DAY - 1) };
// The second person's first 12 days are left out, so the two people differ in night count and
// switching person must change the chart.
const SECOND_PERSON_FROM = formatDayNumber(TODAY_DAY - 28);
const simulated = generateSleepDeliveries(SIMULATION).filter((delivery, _index, all) => delivery.person === all[0]!.person || delivery.nightDate >= SECOND_PERSON_FROM);

const SECOND_PROVIDER = 'OURA';
const SECOND_PROVIDER_DAYS = [TODAY_DAY - 3, TODAY_DAY - 2];

function secondProviderNight(dayNumber: number): NightRow {
  return { dayNumber, date: formatDayNumber(dayNumber), rmssdMs: 50, lnRmssd: Math.log(50), samples: 0, basis: 'summary', status: 'insufficient' };
}

// A traveller whose one night has two sleep sessions written in different UTC offsets: 23:00 to
// 01:00 at +01:00, then 01:30 to 06:00 at -04:00 after a flight. The samples chart must show each
// sample at the clock time of its own session.
const TRAVELLER = 'traveller';
const TRAVELLER_NIGHT = formatDayNumber(TODAY_DAY - 5);
const TRAVELLER_SESSIONS = [
  { offset: '+01:00', startUtcMs: (TODAY_DAY - 5) * MS_PER_DAY - 2 * 3_600_000, minutes: 120 },
  { offset: '-04:00', startUtcMs: (TODAY_DAY - 5) * MS_PER_DAY + 5.5 * 3_600_000, minutes: 270 },
];

/** Writes a UTC instant as Terra does, in the wearer's offset with microseconds: 2026-11-27T23:00:00.000000+01:00. */
function writtenTimestamp(utcMs: number, offset: string): string {
  const offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(utcMs + offsetMinutes * 60_000).toISOString().slice(0, 19)}.000000${offset}`;
}

/** Builds the traveller's two sleep deliveries from a simulated one, with samples every 5 minutes. */
function travellerDeliveries(): Array<{ body: unknown; sampleTimes: string[] }> {
  const template = simulated.find((delivery) => !delivery.isNap && !delivery.summaryOnly)!;
  return TRAVELLER_SESSIONS.map((session, sessionIndex) => {
    const body = structuredClone(template.body);
    const data = body.data[0]!;
    const sampleTimes = Array.from({ length: session.minutes / 5 + 1 }, (_unused, index) => writtenTimestamp(session.startUtcMs + index * 300_000, session.offset));
    body.user.reference_id = TRAVELLER;
    body.user.user_id = '7d0c3b52-5f0e-4d43-9a65-2f6f0e1c7a11';
    data.metadata.start_time = sampleTimes[0]!;
    data.metadata.end_time = sampleTimes.at(-1)!;
    data.metadata.summary_id = `traveller-session-${sessionIndex}`;
    data.heart_rate_data.detailed.hr_samples = [];
    data.heart_rate_data.detailed.hrv_samples_rmssd = sampleTimes.map((timestamp, index) => ({ timestamp, hrv_rmssd: 40 + (index % 10) }));
    data.heart_rate_data.detailed.hrv_samples_sdnn = sampleTimes.map((timestamp, index) => ({ timestamp, hrv_sdnn: 60 + (index % 7) }));
    return { body, sampleTimes };
  });
}

function providerOf(person: string): string {
  return simulated.find((delivery) => delivery.person === person)!.body.user.provider;
}

interface StoredNight {
  date: string;
  dayNumber: number;
}

async function storedNights(influx: InfluxDbServer, person: string, provider: string): Promise<StoredNight[]> {
  const rows = await influx.query(`SELECT "status" FROM hrv_night WHERE person = '${person}' AND provider = '${provider}'`);
  return rows.map((row) => {
    const dayNumber = Math.floor(Number(BigInt(row.time as string) / 1_000_000n) / MS_PER_DAY);
    return { date: formatDayNumber(dayNumber), dayNumber };
  });
}

/** Returns the points of the nightly RMSSD dataset of the page's Chart.js instance. */
function chartPoints(page: Page): Promise<Array<{ x: number; y: number }>> {
  return page.evaluate(() => {
    const chart = window.Chart.getChart('nights-chart');
    return (chart?.data.datasets[3]?.data ?? []) as Array<{ x: number; y: number }>;
  });
}

function tableDates(page: Page): Promise<string[]> {
  return page.locator('#nights-table tbody tr td:first-child').allTextContents();
}

async function waitForNightCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction((expected) => document.getElementById('nights-chart')?.dataset.nights === String(expected), count, { timeout: 15_000 });
}

describe.skipIf(!hasChromium)('dashboard-lite in Chromium', () => {
  const people = [...new Set(simulated.map((delivery) => delivery.person))].sort();
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let dashboard: DashboardLiteProcess;
  let browser: Browser;
  const expected = new Map<string, StoredNight[]>();
  const traveller = travellerDeliveries();

  beforeAll(async () => {
    influx = await startInfluxDb();
    const influxEnv = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database };
    receiver = await startReceiverProcess({ env: { TERRA_SIGNING_SECRET: SECRET, ...influxEnv } });
    for (const delivery of simulated) expect((await postSigned(receiver.webhookUrl, JSON.stringify(delivery.body), SECRET)).status).toBe(200);
    for (const delivery of traveller) expect((await postSigned(receiver.webhookUrl, JSON.stringify(delivery.body), SECRET)).status).toBe(200);
    const deliveries = simulated.length + traveller.length;
    await waitFor('every delivery to be processed', () => (receiver.logs.filter((line) => line.msg === 'delivery processed').length >= deliveries ? true : undefined), 120_000);
    // A second provider for the first person, written directly: the provider picker appears only
    // for a person with several.
    await influx.writeLineProtocol(SECOND_PROVIDER_DAYS.map((dayNumber) => nightLine(secondProviderNight(dayNumber), { person: people[0]!, provider: SECOND_PROVIDER })));
    for (const person of people) expected.set(person, await storedNights(influx, person, providerOf(person)));
    dashboard = await startDashboardLiteProcess({ ...influxEnv, DASHBOARD_LITE_PASSWORD: PASSWORD });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    mkdirSync('test-output', { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.dispose();
    await receiver?.dispose();
    await influx?.dispose();
  });

  /** Opens a context with the dashboard's credentials that records every request and page error. */
  async function openPage(options: { timezoneId: string; viewport: { width: number; height: number } }) {
    const context: BrowserContext = await browser.newContext({ ...options, locale: 'en-US', httpCredentials: { username: 'hrv', password: PASSWORD } });
    const requests: string[] = [];
    const errors: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    return { context, page, requests, errors };
  }

  it('rejects the page without credentials', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Chromium fails a navigation that gets 401 with a net error when it has no credentials to
    // offer, so the response is read from the network events.
    const [response] = await Promise.all([page.waitForResponse(`${dashboard.url}/`), page.goto(`${dashboard.url}/`).catch(() => null)]);

    expect(response.status()).toBe(401);
    expect(await response.text()).not.toContain('nights-chart');
    await context.close();
  });

  it('switches provider, person and night', async () => {
    const [first, second] = people as [string, string];
    const firstNights = expected.get(first)!;
    const secondNights = expected.get(second)!;
    expect(firstNights.length).not.toBe(secondNights.length);
    const { context, page, requests, errors } = await openPage({ timezoneId: 'America/Los_Angeles', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=${first}&range=all`);
    await waitForNightCount(page, firstNights.length);
    expect((await chartPoints(page)).map((point) => point.x)).toEqual(firstNights.map((night) => night.dayNumber));
    expect(await tableDates(page)).toEqual(firstNights.map((night) => night.date).reverse());
    expect(await page.locator('#provider-label').isVisible()).toBe(true);

    await page.selectOption('#provider-picker', SECOND_PROVIDER);
    await waitForNightCount(page, SECOND_PROVIDER_DAYS.length);
    expect((await chartPoints(page)).map((point) => point.x)).toEqual(SECOND_PROVIDER_DAYS);
    expect(new URL(page.url()).searchParams.get('provider')).toBe(SECOND_PROVIDER);

    await page.selectOption('#person-picker', second);
    await waitForNightCount(page, secondNights.length);
    expect((await chartPoints(page)).map((point) => point.x)).toEqual(secondNights.map((night) => night.dayNumber));
    expect(new URL(page.url()).searchParams.get('person')).toBe(second);
    expect(await page.locator('#provider-label').isVisible()).toBe(false);

    const night = simulated.find((delivery) => delivery.person === second && !delivery.isNap && !delivery.summaryOnly && delivery.nightDate > secondNights[5]!.date)!;
    const index = secondNights.findIndex((stored) => stored.date === night.nightDate);
    const position = await page.evaluate((pointIndex) => {
      const element = window.Chart.getChart('nights-chart')!.getDatasetMeta(3).data[pointIndex]!;
      return { x: element.x, y: element.y };
    }, index);
    const box = (await page.locator('#nights-chart').boundingBox())!;
    await page.mouse.click(box.x + position.x, box.y + position.y);
    await page.waitForFunction(() => document.getElementById('samples-chart')?.dataset.rmssdSamples !== undefined, undefined, { timeout: 15_000 });

    expect(new URL(page.url()).searchParams.get('night')).toBe(night.nightDate);
    expect(await page.locator('#samples-chart').getAttribute('data-rmssd-samples')).toBe(String(night.hrvSampleCount));
    expect(await page.locator('#samples-chart').getAttribute('data-sdnn-samples')).toBe(String(night.hrvSampleCount));
    await page.screenshot({ path: 'test-output/dashboard-lite.png', fullPage: true });

    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(`${dashboard.url}/`))).toEqual([]);
    expect(requests).toContain(`${dashboard.url}/vendor/chart.umd.min.js`);
    await context.close();
  });

  it('names an unknown person in the URL', async () => {
    const [first] = people as [string];
    const { context, page, errors } = await openPage({ timezoneId: 'UTC', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=nobody&provider=${providerOf(first)}&range=all`);
    await page.locator('#message').waitFor({ state: 'visible', timeout: 10_000 });

    expect(await page.locator('#message-title').textContent()).toBe('No person named "nobody"');
    expect(await page.locator('#message-text code').allTextContents()).toEqual([...people, TRAVELLER]);
    expect(await page.locator('#content').isVisible()).toBe(false);
    expect(await page.locator('#person-picker').inputValue()).toBe('');
    expect(new URL(page.url()).searchParams.get('person')).toBe('nobody');

    await page.selectOption('#person-picker', first);
    await waitForNightCount(page, expected.get(first)!.length);
    expect(await page.locator('#message').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('names an unknown provider in the URL', async () => {
    const [first] = people as [string];
    const { context, page, errors } = await openPage({ timezoneId: 'UTC', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=${first}&provider=WHOOP&range=all`);
    await page.locator('#message').waitFor({ state: 'visible', timeout: 10_000 });

    expect(await page.locator('#message-title').textContent()).toBe(`No data of ${first} from provider "WHOOP"`);
    expect((await page.locator('#message-text code').allTextContents()).sort()).toEqual([providerOf(first), SECOND_PROVIDER].sort());
    expect(await page.locator('#content').isVisible()).toBe(false);
    expect(await page.locator('#provider-label').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('drops an invalid night with a notice', async () => {
    const [first] = people as [string];
    const nights = expected.get(first)!;
    const { context, page, errors } = await openPage({ timezoneId: 'UTC', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=${first}&range=all&night=2099-99-99`);
    await waitForNightCount(page, nights.length);
    await page.locator('#nights-table tbody tr').first().waitFor({ timeout: 10_000 });

    expect(await page.locator('#url-notice').textContent()).toBe('The night "2099-99-99" in the address is not a valid date (YYYY-MM-DD), so no night is selected.');
    expect(await page.locator('#content').isVisible()).toBe(true);
    expect(await page.locator('#nights-chart').isVisible()).toBe(true);
    expect(await tableDates(page)).toEqual(nights.map((night) => night.date).reverse());
    expect(await page.locator('#samples').isVisible()).toBe(false);
    expect(new URL(page.url()).searchParams.get('night')).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says when a valid night has no session', async () => {
    const [first] = people as [string];
    const nights = expected.get(first)!;
    const { context, page, errors } = await openPage({ timezoneId: 'UTC', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=${first}&range=all&night=2001-01-01`);
    await waitForNightCount(page, nights.length);
    await page.locator('#samples-summary').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });

    expect(await page.locator('#samples-summary').textContent()).toBe('No sleep session is stored for this night.');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows samples at their own session clock time', async () => {
    const provider = providerOf(people[0]!);
    const { context, page, errors } = await openPage({ timezoneId: 'Asia/Tokyo', viewport: { width: 1200, height: 900 } });

    await page.goto(`${dashboard.url}/?person=${TRAVELLER}&provider=${provider}&range=all&night=${TRAVELLER_NIGHT}`);
    await page.waitForFunction(() => document.getElementById('samples-chart')?.dataset.rmssdSamples !== undefined, undefined, { timeout: 15_000 });
    const chart = await page.evaluate(() => {
      const samples = window.Chart.getChart('samples-chart')!;
      const points = samples.data.datasets[0]!.data as Array<{ x: number }>;
      return {
        clockTimes: points.map((point) => new Date(point.x).toISOString().slice(11, 16)),
        ticks: samples.scales.x!.ticks.map((tick) => ({ value: tick.value, label: String(tick.label) })),
      };
    });

    expect(chart.clockTimes).toEqual(traveller.flatMap((delivery) => delivery.sampleTimes.map((time) => time.slice(11, 16))));
    expect(chart.ticks.length).toBeGreaterThan(1);
    for (const tick of chart.ticks) {
      expect(tick.value % 1_800_000, tick.label).toBe(0);
      expect(tick.label).toBe(new Date(tick.value).toISOString().slice(11, 16));
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps each night on its date in UTC+14 on a phone', async () => {
    const [first] = people as [string];
    const nights = expected.get(first)!;
    const last = nights.at(-1)!;
    const { context, page, requests, errors } = await openPage({ timezoneId: 'Pacific/Kiritimati', viewport: { width: 390, height: 844 } });

    await page.goto(`${dashboard.url}/?person=${first}&range=all`);
    await waitForNightCount(page, nights.length);
    const longDate = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
    const shortDate = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', day: 'numeric', month: 'short' });
    const ticks = await page.evaluate(() => window.Chart.getChart('nights-chart')!.scales.x!.ticks.map((tick) => ({ value: tick.value, label: String(tick.label) })));

    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('Pacific/Kiritimati');
    expect(await page.locator('#last-night-date').textContent()).toBe(longDate.format(last.dayNumber * MS_PER_DAY));
    expect(await tableDates(page)).toEqual(nights.map((night) => night.date).reverse());
    expect(ticks.length).toBeGreaterThan(1);
    for (const tick of ticks) expect(tick.label).toBe(shortDate.format(tick.value * MS_PER_DAY));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: 'test-output/dashboard-lite-phone.png', fullPage: true });

    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(`${dashboard.url}/`))).toEqual([]);
    await context.close();
  });
});
