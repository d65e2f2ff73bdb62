import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';

import { type CommandOutput, DeliveryError, deliverSignedBody, InvalidOptionsError, redactUrlsInText } from '../cli/deliver.js';
import { runSend } from '../cli/send.js';
import { runSimulate } from '../cli/simulate.js';
import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import { type SignatureCheck, verifyTerraSignature } from '../terra/signature.js';
import { fileURLToPath } from 'node:url';
import { TERRA_SAMPLES_DIR } from './support/terra-samples.js';
import { BUILT_CLI, runBuiltCli, type CliRun } from './support/built-cli.js';

// Real: the commands, fetch, the HTTP connection over loopback, signing and verification with
// terra/signature.ts, the generator and the files on disk. The exit-code tests run the built
// command line (dist/cli/hrv-stack.js, which `npm test` builds first) as a child process.
// Stand-in: the receiver is a small node:http server on 127.0.0.1, port 0, that verifies the
// signature, records each request and responds with the status each test chooses.

const GARMIN_SAMPLE_PATH = fileURLToPath(new URL('sleep-garmin.json', TERRA_SAMPLES_DIR));
const PACKAGE_JSON_PATH = fileURLToPath(new URL('../package.json', import.meta.url));

/** A fresh secret per run, so a leak into the output cannot match by chance. */
const SECRET = randomBytes(24).toString('hex');
const FAST_RETRIES = { retries: 2, retryDelayMs: 1, timeoutMs: 5_000 };
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  signature: SignatureCheck;
}

/** Returns the status for the request with this 0-based index, or `hang` to never respond. */
type Responder = (index: number) => number | 'hang';

interface StandInReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in receiver. A request with an invalid signature always gets 401. */
async function startStandInReceiver(respond: Responder = () => 200): Promise<StandInReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = request.headers['x-terra-signature'];
      const nowSeconds = Math.floor(Date.now() / 1000);
      const signature = verifyTerraSignature(typeof header === 'string' ? header : undefined, body, { secrets: [SECRET], toleranceSeconds: 300, nowSeconds });
      const status = signature.ok ? respond(requests.length) : 401;
      requests.push({ headers: request.headers, body, signature });
      if (status === 'hang') return;
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/terra/webhook`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function collectOutput(): { output: CommandOutput; infos: string[]; errors: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  return { output: { info: (message) => infos.push(message), error: (message) => errors.push(message) }, infos, errors };
}

/** Runs the built command line without this shell's TERRA_SIGNING_SECRET. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runBuiltCli(args, { cwd: workDirectory, env, withoutEnv: ['TERRA_SIGNING_SECRET'] });
}

let receiver: StandInReceiver | undefined;
let workDirectory = '';

beforeAll(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'hrv-send-'));
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe('runSend', () => {
  it('sends exact file bytes, signed', async () => {
    receiver = await startStandInReceiver();
    const { output, infos, errors } = collectOutput();
    const original = await readFile(GARMIN_SAMPLE_PATH);

    const summary = await runSend({ url: receiver.url, secret: SECRET, files: [GARMIN_SAMPLE_PATH] }, output);

    expect(summary).toEqual({ accepted: 1, failed: 0, results: [{ file: GARMIN_SAMPLE_PATH, status: 200 }] });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests as [ReceivedRequest];
    expect(request.body.equals(original)).toBe(true);
    expect(request.signature.ok).toBe(true);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-terra-trace-id']).toMatch(UUID_FORM);
    expect(Number(request.headers['x-terra-ordering-timestamp'])).toBeGreaterThan(Date.now() - 60_000);
    expect(infos).toContain(`${GARMIN_SAMPLE_PATH} -> 200`);
    expect(errors).toEqual([]);
  });

  it('skips missing and non-JSON files', async () => {
    receiver = await startStandInReceiver();
    const { output, errors } = collectOutput();
    const missing = join(workDirectory, 'missing.json');
    const notJson = join(workDirectory, 'not-json.json');
    await writeFile(notJson, '{"type": "sleep",');

    const summary = await runSend({ url: receiver.url, secret: SECRET, files: [missing, notJson, GARMIN_SAMPLE_PATH] }, output);

    expect(summary.accepted).toBe(1);
    expect(summary.failed).toBe(2);
    expect(receiver.requests).toHaveLength(1);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain(`${missing}: not sent, reading it failed: ENOENT`);
    expect(errors[1]).toContain(`${notJson}: not sent, it is not valid JSON`);
    expect(summary.results.map((result) => result.status)).toEqual([undefined, undefined, 200]);
  });

  it('reports 401 as failed', async () => {
    receiver = await startStandInReceiver(() => 401);
    const { output, errors } = collectOutput();

    const summary = await runSend({ url: receiver.url, secret: SECRET, files: [GARMIN_SAMPLE_PATH] }, output);

    expect(summary.accepted).toBe(0);
    expect(summary.failed).toBe(1);
    expect(summary.results).toEqual([{ file: GARMIN_SAMPLE_PATH, status: 401 }]);
    expect(errors).toEqual([`${GARMIN_SAMPLE_PATH} -> 401 {"status":401}`]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('wrong secret is rejected by stand-in', async () => {
    receiver = await startStandInReceiver();
    const { output } = collectOutput();

    const summary = await runSend({ url: receiver.url, secret: `${SECRET}-wrong`, files: [GARMIN_SAMPLE_PATH] }, output);

    expect(summary.results).toEqual([{ file: GARMIN_SAMPLE_PATH, status: 401 }]);
    expect(receiver.requests[0]?.signature).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('invalid options list every problem', async () => {
    const { output } = collectOutput();

    const run = runSend({ url: 'ftp://127.0.0.1/x', secret: '', files: [] }, output);

    await expect(run).rejects.toThrow(InvalidOptionsError);
    await expect(run).rejects.toThrow(/url must use http or https, got "ftp:"/);
    await expect(run).rejects.toThrow(/secret must not be empty/);
    await expect(run).rejects.toThrow(/files: name at least one JSON file/);
  });

  it('rejects credentials in URL', async () => {
    receiver = await startStandInReceiver();
    const { output, infos, errors } = collectOutput();
    const url = receiver.url.replace('http://', `http://user:${SECRET}@`);

    const run = runSend({ url, secret: SECRET, files: [GARMIN_SAMPLE_PATH] }, output);

    await expect(run).rejects.toThrow(InvalidOptionsError);
    await expect(run).rejects.toThrow(`url must not contain a user name or password; remove them, because the receiver authenticates each delivery by its Terra signature, got "${receiver.url.replace('http://', 'http://REDACTED:REDACTED@')}"`);
    await expect(run).rejects.not.toThrow(SECRET);
    expect(receiver.requests).toHaveLength(0);
    expect(infos).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('runSimulate', () => {
  const options = { people: 3, nights: 10, seed: 11, endDate: '2026-11-02', delivery: FAST_RETRIES };

  it('delivers every generated body', async () => {
    receiver = await startStandInReceiver();
    const { output, infos, errors } = collectOutput();
    const expected = generateSleepDeliveries(options);

    const summary = await runSimulate({ ...options, url: receiver.url, secret: SECRET }, output);

    const received = receiver.requests.map((request) => JSON.parse(request.body.toString('utf8')) as unknown);
    const bySummaryId = (body: unknown) => (body as { data: [{ metadata: { summary_id: string } }] }).data[0].metadata.summary_id;
    const sortBodies = (bodies: unknown[]) => bodies.toSorted((a, b) => bySummaryId(a).localeCompare(bySummaryId(b)));
    expect(sortBodies(received)).toEqual(sortBodies(expected.map((delivery) => delivery.body)));
    expect(receiver.requests.every((request) => request.signature.ok)).toBe(true);
    expect(new Set(receiver.requests.map((request) => request.headers['x-terra-trace-id'])).size).toBe(expected.length);
    expect(summary.deliveries).toBe(expected.length);
    expect(summary.accepted).toBe(expected.length);
    expect(summary.rejected).toBe(0);
    expect(summary.rejectedByStatus).toEqual({});
    expect(summary.naps).toBe(expected.filter((delivery) => delivery.isNap).length);
    expect(summary.rmssdSamplesSent).toBe(expected.reduce((sum, delivery) => sum + delivery.hrvSampleCount, 0));
    expect(summary.rmssdSamplesAccepted).toBe(summary.rmssdSamplesSent);
    expect(infos).toContain(`Sent ${expected.length} of ${expected.length}`);
    expect(errors).toEqual([]);
    expect([...infos, ...errors].join('\n')).not.toContain(SECRET);
  });

  it('stamps each session with its update time', async () => {
    receiver = await startStandInReceiver();
    const { output } = collectOutput();

    await runSimulate({ ...options, url: receiver.url, secret: SECRET }, output);

    // last_webhook_update is the session's end plus 18 minutes, the same on every run, so a
    // second run sends identical copies rather than newer ones.
    for (const request of receiver.requests) {
      const body = JSON.parse(request.body.toString('utf8')) as { user: { last_webhook_update: string } };
      expect(request.headers['x-terra-ordering-timestamp']).toBe(String(Date.parse(body.user.last_webhook_update.replace(/\.\d+/, ''))));
    }
  });

  it('counts 401 rejections by status', async () => {
    receiver = await startStandInReceiver(() => 401);
    const { output, infos, errors } = collectOutput();

    const summary = await runSimulate({ ...options, url: receiver.url, secret: SECRET }, output);

    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toBe(summary.deliveries);
    expect(summary.rejectedByStatus).toEqual({ 401: summary.deliveries });
    expect(summary.rmssdSamplesAccepted).toBe(0);
    expect(receiver.requests).toHaveLength(summary.deliveries);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/rejected the (night|nap) of \w+ on \d{4}-\d{2}-\d{2} with HTTP 401/);
    expect(infos.at(-1)).toContain(`0 accepted, ${summary.deliveries} rejected (${summary.deliveries} x 401)`);
    expect([...infos, ...errors].join('\n')).not.toContain(SECRET);
  });

  it('counts unreachable receiver as rejected', async () => {
    receiver = await startStandInReceiver();
    const closedUrl = receiver.url;
    await receiver.close();
    receiver = undefined;
    const { output, errors } = collectOutput();

    const summary = await runSimulate({ ...options, people: 1, nights: 2, url: closedUrl, secret: SECRET }, output);

    expect(summary.accepted).toBe(0);
    expect(summary.rejectedByStatus).toEqual({ 'no response': summary.deliveries });
    expect(errors[0]).toContain(`failed after 3 attempts`);
  });

  it('invalid options list every problem', async () => {
    const { output } = collectOutput();

    const run = runSimulate({ url: 'not a url', secret: SECRET, people: 0, nights: 4000, concurrency: 0 }, output);

    await expect(run).rejects.toThrow(InvalidOptionsError);
    await expect(run).rejects.toThrow(/url must be an absolute http:\/\/ or https:\/\/ URL, got "not a url"/);
    await expect(run).rejects.toThrow(/people must be a whole number from 1 to 100, got 0/);
    await expect(run).rejects.toThrow(/nights must be a whole number from 1 to 3650, got 4000/);
    await expect(run).rejects.toThrow(/concurrency must be a whole number from 1 to 32, got 0/);
  });

  it('rejects user name alone in URL', async () => {
    const { output } = collectOutput();

    const run = runSimulate({ url: 'http://terra@127.0.0.1:1/terra/webhook', secret: SECRET, people: 1, nights: 1 }, output);

    await expect(run).rejects.toThrow(InvalidOptionsError);
    await expect(run).rejects.toThrow('got "http://REDACTED@127.0.0.1:1/terra/webhook"');
  });

  it('invalid URL hides credentials', async () => {
    const { output } = collectOutput();

    const run = runSimulate({ url: `//user:${SECRET}@host/terra/webhook`, secret: SECRET, people: 1, nights: 1 }, output);

    await expect(run).rejects.toThrow(/url must be an absolute .* got "\(invalid URL, hidden because it may contain credentials\)"/);
    await expect(run).rejects.not.toThrow(SECRET);
  });
});

describe('deliverSignedBody', () => {
  it('retries 503 with same trace id', async () => {
    receiver = await startStandInReceiver((index) => (index === 0 ? 503 : 202));
    const retries: number[] = [];

    const result = await deliverSignedBody(receiver.url, '{"type":"healthcheck"}', SECRET, { ...FAST_RETRIES, onRetry: (event) => retries.push(event.attempt) });

    expect(result).toEqual({ status: 202, body: '{"status":202}', attempts: 2 });
    expect(retries).toEqual([1]);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.headers['x-terra-trace-id']).toBe(receiver.requests[0]?.headers['x-terra-trace-id']);
  });

  it('retries 429', async () => {
    receiver = await startStandInReceiver((index) => (index === 0 ? 429 : 200));

    const result = await deliverSignedBody(receiver.url, '{}', SECRET, FAST_RETRIES);

    expect(result.status).toBe(200);
    expect(result.attempts).toBe(2);
  });

  it('returns last 5xx after retries', async () => {
    receiver = await startStandInReceiver(() => 500);

    const result = await deliverSignedBody(receiver.url, '{}', SECRET, FAST_RETRIES);

    expect(result.status).toBe(500);
    expect(result.attempts).toBe(3);
    expect(receiver.requests).toHaveLength(3);
  });

  it('does not retry 400', async () => {
    receiver = await startStandInReceiver(() => 400);

    const result = await deliverSignedBody(receiver.url, '{}', SECRET, FAST_RETRIES);

    expect(result.status).toBe(400);
    expect(result.attempts).toBe(1);
    expect(receiver.requests).toHaveLength(1);
  });

  it('sends given trace id and ordering timestamp', async () => {
    receiver = await startStandInReceiver();

    await deliverSignedBody(receiver.url, '{}', SECRET, { traceId: 'trace-1', orderingTimestampMs: 1_793_000_000_000 });

    expect(receiver.requests[0]?.headers['x-terra-trace-id']).toBe('trace-1');
    expect(receiver.requests[0]?.headers['x-terra-ordering-timestamp']).toBe('1793000000000');
  });

  it('rejects credentials before any attempt', async () => {
    receiver = await startStandInReceiver();
    const url = receiver.url.replace('http://', `http://user:${SECRET}@`);
    const retries: number[] = [];

    const delivery = deliverSignedBody(url, '{}', SECRET, { ...FAST_RETRIES, onRetry: (event) => retries.push(event.attempt) });

    await expect(delivery).rejects.toThrow(InvalidOptionsError);
    await expect(delivery).rejects.not.toThrow(SECRET);
    expect(retries).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it('timeout names masked URL and last status', async () => {
    receiver = await startStandInReceiver((index) => (index === 0 ? 503 : 'hang'));
    const url = `${receiver.url}?token=${SECRET}`;

    const delivery = deliverSignedBody(url, '{}', SECRET, { retries: 1, retryDelayMs: 1, timeoutMs: 300 });

    await expect(delivery).rejects.toThrow(DeliveryError);
    await expect(delivery).rejects.toThrow(`POST ${receiver.url}?token=REDACTED failed after 2 attempts: timed out after 300 ms (an earlier attempt got HTTP 503)`);
    await expect(delivery).rejects.not.toThrow(SECRET);
  });
});

describe('redactUrlsInText', () => {
  it('masks URL in fetch error message', () => {
    const message = `Request cannot be constructed from a URL that includes credentials: http://user:${SECRET}@127.0.0.1:1/x?token=${SECRET}`;

    const redacted = redactUrlsInText(message);

    expect(redacted).toBe('Request cannot be constructed from a URL that includes credentials: http://REDACTED:REDACTED@127.0.0.1:1/x?token=REDACTED');
  });

  it('masks URL inside quotes', () => {
    expect(redactUrlsInText(`error: unknown option '--ulr=https://127.0.0.1/x?token=${SECRET}'`)).toBe("error: unknown option '--ulr=https://127.0.0.1/x?token=REDACTED'");
  });

  it('keeps URL without credentials or query', () => {
    const helpLine = 'webhook URL of the receiver, for example http://localhost:8080/webhooks/terra';

    expect(redactUrlsInText(helpLine)).toBe(helpLine);
  });

  it('hides URL that does not parse', () => {
    expect(redactUrlsInText(`got http://user:${SECRET}@[bad/x`)).toBe('got (invalid URL, hidden because it may contain credentials)');
  });
});

describe('hrv-stack exit codes (built command line)', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} not found: run npm run build before these tests`);
  });

  it('send with credentials in URL exits 2', async () => {
    receiver = await startStandInReceiver();
    const url = `${receiver.url.replace('http://', `http://user:${SECRET}@`)}?token=${SECRET}`;

    const run = await runCli(['send', '--url', url, GARMIN_SAMPLE_PATH], { TERRA_SIGNING_SECRET: SECRET });

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('url must not contain a user name or password');
    expect(run.stderr).toContain(`got "${receiver.url.replace('http://', 'http://REDACTED:REDACTED@')}?token=REDACTED"`);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(receiver.requests).toHaveLength(0);
  });

  it('simulate with credentials in URL exits 2', async () => {
    const run = await runCli(['simulate', '--url', `http://user:${SECRET}@127.0.0.1:1/x?token=${SECRET}`, '--secret', 'x']);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('url must not contain a user name or password');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('invalid number option exits 2', async () => {
    const run = await runCli(['simulate', '--nights', '1.5', '--url', 'http://127.0.0.1:1/x', '--secret', 'x']);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`error: option '--nights <count>' argument '1.5' is invalid. expected a whole number, got "1.5"`);
    expect(run.stdout).toBe('');
  });

  it('missing --url exits 2', async () => {
    const run = await runCli(['send', '--secret', 'x', GARMIN_SAMPLE_PATH]);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`error: required option '--url <url>' not specified`);
  });

  it('unknown option exits 2, URL masked', async () => {
    const run = await runCli(['send', '--url', 'http://127.0.0.1:1/x', `--ulr=http://user:${SECRET}@127.0.0.1:1/x`, '--secret', 'x', GARMIN_SAMPLE_PATH]);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`error: unknown option '--ulr=http://REDACTED:REDACTED@127.0.0.1:1/x'`);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('unknown command exits 2', async () => {
    const run = await runCli(['sned']);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`error: unknown command 'sned'`);
  });

  it('no command exits 2 with help', async () => {
    const run = await runCli([]);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('Usage: hrv-stack [options] [command]');
  });

  it('--help exits 0', async () => {
    const run = await runCli(['--help']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Usage: hrv-stack [options] [command]');
    expect(run.stdout).toContain('requeue-failed');
    expect(run.stderr).toBe('');
  });

  it('send --help exits 0', async () => {
    const run = await runCli(['send', '--help']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Usage: hrv-stack send [options] <files...>');
  });

  it('--version exits 0', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE_JSON_PATH, 'utf8')) as { version: string };

    const run = await runCli(['--version']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it('accepted send exits 0', async () => {
    receiver = await startStandInReceiver();

    const run = await runCli(['send', '--url', receiver.url, GARMIN_SAMPLE_PATH], { TERRA_SIGNING_SECRET: SECRET });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`${GARMIN_SAMPLE_PATH} -> 200`);
    expect(receiver.requests).toHaveLength(1);
  });

  it('rejected send exits 1', async () => {
    receiver = await startStandInReceiver(() => 401);

    const run = await runCli(['send', '--url', receiver.url, GARMIN_SAMPLE_PATH], { TERRA_SIGNING_SECRET: SECRET });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`${GARMIN_SAMPLE_PATH} -> 401`);
  });

  it('rejected simulate exits 1', async () => {
    receiver = await startStandInReceiver(() => 401);

    const run = await runCli(['simulate', '--url', receiver.url, '--people', '1', '--nights', '1', '--end-date', '2026-11-02'], { TERRA_SIGNING_SECRET: SECRET });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('with HTTP 401');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });
});
