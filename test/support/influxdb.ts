/**
 * A real InfluxDB for tests, one server and one fresh database per `startInfluxDb` call.
 *
 * Where testcontainers finds a container runtime it runs the `influxdb:2.7.12` image. Otherwise,
 * which is the case in CI, it starts `influxd` 1.x from PATH (Debian's `influxdb` package, 1.6) as a
 * child process on free 127.0.0.1 ports with its own temporary directories. In both cases
 * a v2 write gateway (v2-write-gateway.ts) sits in front, so the v2 write path can be tested and made
 * to fail on purpose. Set HRV_STACK_TEST_INFLUXDB to `process` or `container` to force one way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from './free-port.js';
import { startV2WriteGateway, type V2WriteGateway } from './v2-write-gateway.js';

export type InfluxDbKind = 'influxd-process' | 'container';

/** One row of a query result: column name to value, with `time` as a string of nanoseconds since 1970. */
export type InfluxRow = Record<string, unknown>;

export interface InfluxSeries {
  name: string;
  /** Tags of a GROUP BY series, empty without GROUP BY. */
  tags: Record<string, string>;
  columns: string[];
  rows: InfluxRow[];
}

/** Timestamp precision of InfluxDB 1.x `/write`: nanoseconds, microseconds, milliseconds, seconds. */
export type V1Precision = 'n' | 'u' | 'ms' | 's';

export interface StartInfluxDbOptions {
  /** Database to create. Defaults to a random `hrv_test_<hex>`. Letters, digits, `_` and `-` only. */
  database?: string;
}

export interface InfluxDbServer {
  readonly kind: InfluxDbKind;
  /** Base URL of the 1.x API (`/write`, `/query`, `/ping`), for example `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Base URL of the v2 write gateway: `/api/v2/write`, `/ping`, `/health`. */
  readonly v2Url: string;
  /** The database this call created. As a v2 bucket it is `database` or `database/autogen`. */
  readonly database: string;
  /** Organization to send to `/api/v2/write`. InfluxDB 1.x ignores it. */
  readonly org: string;
  /** Token for `/api/v2/write`. Any value works with influxd 1.x, whose auth is off. */
  readonly token: string;
  /** Headers that requests to `url` need: none for influxd 1.x, the admin token for the container. */
  readonly v1Headers: Readonly<Record<string, string>>;
  readonly gateway: V2WriteGateway;
  /** Server output, kept under test-output/influxdb/ after dispose. */
  readonly logPath: string;
  /** Runs InfluxQL and returns the rows of every series of the first statement, tags merged in. */
  query(influxql: string): Promise<InfluxRow[]>;
  /** Runs InfluxQL and returns the series of the first statement with their tags. */
  querySeries(influxql: string): Promise<InfluxSeries[]>;
  /** Writes line protocol through the 1.x `/write`. Throws unless InfluxDB returns 204. */
  writeLineProtocol(lines: string | readonly string[], precision?: V1Precision): Promise<void>;
  /** Stops the server and keeps its data. Until restart, `url` refuses connections and the gateway returns 503. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data, stopping it first if it runs. */
  restart(): Promise<void>;
  /** Stops the server and the gateway and deletes the data. Safe to call twice. */
  dispose(): Promise<void>;
}

/** A running InfluxDB without the gateway and the query helpers. */
interface Engine {
  readonly kind: InfluxDbKind;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly token: string;
  /** Authorization the gateway sends upstream in place of the client's token, if the server needs one. */
  readonly upstreamAuthorization: string | undefined;
  readonly logPath: string;
  readonly version: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const TEST_ORG = 'hrv-stack-test';
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PING_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_DIRECTORY = fileURLToPath(new URL('../../test-output/influxdb/', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Query results

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface QueryResponseBody {
  error?: string;
  results?: Array<{ error?: string; series?: RawSeries[] }>;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Converts an RFC 3339 time as InfluxDB prints it ("2025-11-02T06:02:00.123456789Z", with trailing
 * zeros of the fraction dropped) to nanoseconds since 1970 as a decimal string, without rounding.
 *
 * The queries ask for RFC 3339 times instead of `epoch=ns` on purpose: JSON.parse reads numbers as
 * doubles, which are exact only up to 2^53 (about 9.0e15), and nanosecond times today are about 1.8e18.
 * `epoch=u` would fit, but drops the last three digits of the nanosecond times HRV samples carry.
 */
export function rfc3339ToNanoseconds(text: string): string {
  const match = RFC3339.exec(text);
  const wholeSecondsMs = match === null ? Number.NaN : Date.parse(`${match[1]}${match[3]}`);

  if (match === null || Number.isNaN(wholeSecondsMs)) throw new Error(`Invalid RFC 3339 time from InfluxDB: "${text}"`);

  const fractionNs = (match[2] ?? '').padEnd(9, '0');
  return (BigInt(wholeSecondsMs) * 1_000_000n + BigInt(fractionNs)).toString();
}

function toSeries(raw: RawSeries): InfluxSeries {
  const columns = raw.columns ?? [];
  const rows = (raw.values ?? []).map((values) => {
    const row: InfluxRow = {};
    columns.forEach((column, index) => {
      const value = values[index] ?? null;
      row[column] = column === 'time' && typeof value === 'string' ? rfc3339ToNanoseconds(value) : value;
    });
    return row;
  });

  return { name: raw.name ?? '', tags: raw.tags ?? {}, columns, rows };
}

// NOTE: values other than `time` come from JSON.parse, so an integer field above 2^53 loses digits.
// The HRV fields are floats, which JSON carries exactly.
async function runQuery(url: string, headers: Readonly<Record<string, string>>, database: string, influxql: string): Promise<InfluxSeries[]> {
  const response = await fetch(new URL('/query', url), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ db: database, q: influxql }),
  });
  const text = await response.text();

  if (!response.ok) throw new Error(`InfluxQL query "${influxql}" failed with HTTP ${response.status}: ${text}`);
  const body = JSON.parse(text) as QueryResponseBody;
  const first = body.results?.[0];
  const error = body.error ?? first?.error;
  if (error !== undefined) throw new Error(`InfluxQL query "${influxql}" failed: ${error}`);

  return (first?.series ?? []).map(toSeries);
}

async function writeV1(url: string, headers: Readonly<Record<string, string>>, database: string, lines: string, precision: V1Precision): Promise<void> {
  const target = new URL('/write', url);
  target.searchParams.set('db', database);
  target.searchParams.set('precision', precision);

  const response = await fetch(target, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: lines });
  if (response.status !== 204) {
    throw new Error(`InfluxDB /write returned HTTP ${response.status}, expected 204: ${await response.text()}`);
  }
}

/** Polls `/ping` until it returns 204 and returns the `X-Influxdb-Version` header. */
async function waitForPing(url: string, headers: Readonly<Record<string, string>>, logPath: string, exited?: Promise<string>): Promise<string> {
  let exitDescription: string | undefined;
  void exited?.then((description) => (exitDescription = description));
  const deadline = Date.now() + PING_TIMEOUT_MS;

  while (Date.now() < deadline) {
    if (exitDescription !== undefined) throw new Error(`influxd exited (${exitDescription}) before /ping responded. See ${logPath}`);
    const response = await fetch(new URL('/ping', url), { headers, signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    if (response?.status === 204) return response.headers.get('x-influxdb-version') ?? 'unknown version';
    await delay(100);
  }

  throw new Error(`InfluxDB at ${url} did not respond to /ping with 204 within ${PING_TIMEOUT_MS / 1000} s. See ${logPath}`);
}

// ---------------------------------------------------------------------------------------------
// influxd 1.x as a child process

// Children still running when the test worker ends are killed then, so that no influxd outlives a
// test file that forgot dispose(). Vitest ends its fork workers with SIGTERM, which skips 'exit'
// handlers, so the SIGTERM handler kills the children, waits for them, deletes their temporary
// directories and raises SIGTERM again.
interface LiveChild {
  exited: Promise<string>;
  temporaryDirectory: string;
}

const liveChildren = new Map<ChildProcess, LiveChild>();
let cleanupHooksInstalled = false;

async function killLiveChildren(): Promise<void> {
  const children = [...liveChildren.entries()];
  for (const [child] of children) child.kill('SIGKILL');

  await Promise.race([Promise.all(children.map(([, live]) => live.exited)), delay(2_000, undefined, { ref: false })]);
  await Promise.all(children.map(([, live]) => rm(live.temporaryDirectory, { recursive: true, force: true }).catch(() => undefined)));
}

function installCleanupHooks(): void {
  if (cleanupHooksInstalled) return;

  cleanupHooksInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren.keys()) child.kill('SIGKILL');
  });
  process.once('SIGTERM', () => {
    void killLiveChildren().finally(() => process.kill(process.pid, 'SIGTERM'));
  });
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    const executable = await access(candidate, constants.X_OK).then(() => true, () => false);
    if (executable) return candidate;
  }

  return undefined;
}

interface InfluxdPaths {
  meta: string;
  data: string;
  wal: string;
}

/**
 * Renders an influxd 1.x configuration with every listener on 127.0.0.1. UDP, Graphite, collectd
 * and OpenTSDB are off by default in 1.x and are turned off here again, and 1.6 has no admin UI.
 */
function renderInfluxdConfig(paths: InfluxdPaths, httpPort: number, rpcPort: number): string {
  return `# Written by test/support/influxdb.ts for one test server.
reporting-disabled = true
# RPC service for backup and restore.
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = ${JSON.stringify(paths.meta)}

[data]
  dir = ${JSON.stringify(paths.data)}
  wal-dir = ${JSON.stringify(paths.wal)}

# Without this, influxd writes its own statistics into an _internal database every 10 s.
[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  pprof-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[[udp]]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false
`;
}

/** Copies the environment without INFLUXDB_* variables, which influxd 1.x would read as config overrides. */
function influxdEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('INFLUXDB_')));
}

interface RunningChild {
  child: ChildProcess;
  /** Resolves with how the process ended, for example "code 1" or "signal SIGTERM". */
  exited: Promise<string>;
}

class InfluxdProcess implements Engine {
  readonly kind = 'influxd-process';
  readonly headers = {};
  // influxd runs with auth off, so the gateway's mapping of this token to `u` and `p` changes nothing.
  readonly token = 'hrv-stack-test:auth-disabled';
  readonly upstreamAuthorization = undefined;
  version = 'unknown version';
  private running: RunningChild | undefined;

  constructor(
    private readonly binary: string,
    private readonly temporaryDirectory: string,
    private readonly configPath: string,
    readonly logPath: string,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    if (this.running !== undefined) throw new Error(`influxd for ${this.url} is already running`);

    this.running = this.spawnChild();
    try {
      this.version = await waitForPing(this.url, this.headers, this.logPath, this.running.exited);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;

    this.running = undefined;
    running.child.kill('SIGTERM');
    const exitedInTime = await Promise.race([running.exited.then(() => true), delay(STOP_TIMEOUT_MS, false, { ref: false })]);
    if (!exitedInTime) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.temporaryDirectory, { recursive: true, force: true });
  }

  private spawnChild(): RunningChild {
    installCleanupHooks();
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.binary, ['run', '-config', this.configPath], { stdio: ['ignore', logFd, logFd], env: influxdEnvironment() });
    } finally {
      closeSync(logFd);
    }

    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`spawn failed: ${error.message}`));
      child.once('exit', (code, signal) => resolve(code === null ? `signal ${signal ?? 'unknown'}` : `code ${code}`));
    }).finally(() => liveChildren.delete(child));
    liveChildren.set(child, { exited, temporaryDirectory: this.temporaryDirectory });
    return { child, exited };
  }
}

async function startInfluxdProcess(binary: string, logPath: string): Promise<Engine> {
  const temporaryDirectory = await mkdtemp(join(tmpdir(), 'hrv-stack-influxd-'));
  const paths = { meta: join(temporaryDirectory, 'meta'), data: join(temporaryDirectory, 'data'), wal: join(temporaryDirectory, 'wal') };
  const [httpPort = 0, rpcPort = 0] = await findFreePorts(2);
  const configPath = join(temporaryDirectory, 'influxd.conf');
  await writeFile(configPath, renderInfluxdConfig(paths, httpPort, rpcPort));

  const influxd = new InfluxdProcess(binary, temporaryDirectory, configPath, logPath, `http://127.0.0.1:${httpPort}`);
  try {
    await influxd.start();
  } catch (error) {
    await rm(temporaryDirectory, { recursive: true, force: true });
    throw error;
  }

  return influxd;
}

// ---------------------------------------------------------------------------------------------
// InfluxDB 2.7 in a container

const INFLUXDB_IMAGE = 'influxdb:2.7.12';

/**
 * Maps the 1.x database and its `autogen` retention policy to the bucket of the same name, which
 * the 1.x compatibility API of InfluxDB 2.x needs for `/write` and `/query`.
 */
async function createDbrpMapping(url: string, headers: Readonly<Record<string, string>>, database: string): Promise<void> {
  const bucketsResponse = await fetch(new URL(`/api/v2/buckets?name=${encodeURIComponent(database)}`, url), { headers });
  const buckets = (await bucketsResponse.json()) as { buckets?: Array<{ id: string; orgID: string }> };
  const bucket = buckets.buckets?.[0];
  if (bucket === undefined) throw new Error(`InfluxDB 2.x at ${url} has no bucket "${database}" (HTTP ${bucketsResponse.status})`);

  const mapping = { bucketID: bucket.id, orgID: bucket.orgID, database, retention_policy: 'autogen', default: true };
  const response = await fetch(new URL('/api/v2/dbrps', url), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(mapping),
  });
  if (!response.ok) throw new Error(`Creating the DBRP mapping for "${database}" failed with HTTP ${response.status}: ${await response.text()}`);
}

// NOTE: this path has never run where it was written, because that machine had no container engine.
// It follows the image's documented DOCKER_INFLUXDB_INIT_* setup and the /api/v2/dbrps API. If it
// fails, HRV_STACK_TEST_INFLUXDB=process makes the tests use influxd from PATH instead.
async function startInfluxDbContainer(database: string, logPath: string): Promise<Engine> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  // A fixed host port, so that the container keeps its URL across restart().
  const [hostPort = 0] = await findFreePorts(1);
  const token = randomBytes(24).toString('hex');
  const container = await new GenericContainer(INFLUXDB_IMAGE)
    .withEnvironment({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: TEST_ORG,
      DOCKER_INFLUXDB_INIT_PASSWORD: randomBytes(16).toString('hex'),
      DOCKER_INFLUXDB_INIT_ORG: TEST_ORG,
      DOCKER_INFLUXDB_INIT_BUCKET: database,
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
    })
    .withExposedPorts({ container: 8086, host: hostPort })
    .withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204))
    .withLogConsumer((stream) => stream.pipe(createWriteStream(logPath, { flags: 'a' })))
    .start();

  const url = `http://${container.getHost()}:${hostPort}`;
  const headers = { authorization: `Token ${token}` };
  await createDbrpMapping(url, headers, database);
  const runtime = await getContainerRuntimeClient();
  const handle = runtime.container.getById(container.getId());
  return {
    kind: 'container',
    url,
    headers,
    token,
    upstreamAuthorization: headers.authorization,
    logPath,
    version: INFLUXDB_IMAGE,
    stop: () => runtime.container.stop(handle),
    restart: async () => {
      await runtime.container.restart(handle);
      await waitForPing(url, headers, logPath);
    },
    dispose: async () => {
      await container.stop({ remove: true, removeVolumes: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Choosing how to start InfluxDB

type Backend = { kind: 'container'; reason: string } | { kind: 'influxd-process'; reason: string; binary: string };

let containerRuntimeCheck: Promise<string | undefined> | undefined;

/** Returns undefined when testcontainers finds a container runtime, or the reason it found none. */
function checkContainerRuntime(): Promise<string | undefined> {
  containerRuntimeCheck ??= import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(
      () => undefined,
      (error: unknown) => `testcontainers found no container runtime: ${error instanceof Error ? error.message : String(error)}`,
    );

  return containerRuntimeCheck;
}

async function chooseBackend(): Promise<Backend> {
  const requested = process.env.HRV_STACK_TEST_INFLUXDB ?? 'auto';
  if (!['auto', 'process', 'container'].includes(requested)) {
    throw new Error(`Invalid HRV_STACK_TEST_INFLUXDB "${requested}": expected auto, process or container`);
  }

  const runtimeProblem = requested === 'process' ? 'HRV_STACK_TEST_INFLUXDB=process' : await checkContainerRuntime();
  if (runtimeProblem === undefined) return { kind: 'container', reason: 'Container path used because testcontainers found a container runtime' };
  if (requested === 'container') throw new Error(`HRV_STACK_TEST_INFLUXDB=container, but ${runtimeProblem}`);

  const binary = await findOnPath('influxd');
  if (binary === undefined) {
    throw new Error(
      `No InfluxDB for the tests: ${runtimeProblem}, and influxd is not on PATH. ` +
        "Install Debian's influxdb package (apt-get install influxdb), or start a container engine.",
    );
  }
  return { kind: 'influxd-process', reason: `Container path skipped because ${runtimeProblem}`, binary };
}

// ---------------------------------------------------------------------------------------------
// The server handed to tests

class InfluxDbHarness implements InfluxDbServer {
  readonly org = TEST_ORG;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    readonly gateway: V2WriteGateway,
    readonly database: string,
  ) {}

  get kind(): InfluxDbKind {
    return this.engine.kind;
  }

  get url(): string {
    return this.engine.url;
  }

  get v2Url(): string {
    return this.gateway.url;
  }

  get token(): string {
    return this.engine.token;
  }

  get v1Headers(): Readonly<Record<string, string>> {
    return this.engine.headers;
  }

  get logPath(): string {
    return this.engine.logPath;
  }

  async query(influxql: string): Promise<InfluxRow[]> {
    const series = await this.querySeries(influxql);

    return series.flatMap((one) => one.rows.map((row) => ({ ...one.tags, ...row })));
  }

  querySeries(influxql: string): Promise<InfluxSeries[]> {
    return runQuery(this.engine.url, this.engine.headers, this.database, influxql);
  }

  writeLineProtocol(lines: string | readonly string[], precision: V1Precision = 'n'): Promise<void> {
    const body = typeof lines === 'string' ? lines : lines.join('\n');

    return writeV1(this.engine.url, this.engine.headers, this.database, body, precision);
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  restart(): Promise<void> {
    return this.engine.restart();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;

    this.disposed = true;
    await this.gateway.close();
    await this.engine.dispose();
  }
}

async function startEngine(backend: Backend, database: string, logPath: string): Promise<Engine> {
  if (backend.kind === 'container') return startInfluxDbContainer(database, logPath);

  const engine = await startInfluxdProcess(backend.binary, logPath);
  try {
    await runQuery(engine.url, engine.headers, database, `CREATE DATABASE "${database}"`);
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  return engine;
}

/**
 * Starts a real InfluxDB with a fresh database and a v2 write gateway in front of it, and prints one
 * line saying which way it was started. Call `dispose()` when done, usually in `afterAll`.
 */
export async function startInfluxDb(options: StartInfluxDbOptions = {}): Promise<InfluxDbServer> {
  const database = options.database ?? `hrv_test_${randomBytes(4).toString('hex')}`;
  if (!DATABASE_NAME.test(database)) {
    throw new Error(`Invalid database name "${database}": expected 1 to 64 letters, digits, "_" or "-"`);
  }

  const backend = await chooseBackend();
  await mkdir(LOG_DIRECTORY, { recursive: true });
  const logPath = join(LOG_DIRECTORY, `${new Date().toISOString().replace(/[:.]/g, '-')}-${database}.log`);
  const engine = await startEngine(backend, database, logPath);
  const gateway = await startV2WriteGateway({ upstreamUrl: engine.url, upstreamAuthorization: engine.upstreamAuthorization });

  const startedAs = backend.kind === 'container' ? `container ${INFLUXDB_IMAGE}` : `influxd child process (${backend.binary})`;
  console.info(
    `[influxdb] InfluxDB ${engine.version} as ${startedAs} at ${engine.url}, v2 write gateway at ${gateway.url}, ` +
      `database ${database}, log ${relative(REPOSITORY_ROOT, logPath)}. ${backend.reason}`,
  );
  return new InfluxDbHarness(engine, gateway, database);
}

/** Returns the receiver's InfluxDB variables for `server`, through `/write` (1) or the v2 gateway (2). */
export function receiverInfluxEnv(server: InfluxDbServer, apiVersion: '1' | '2'): Record<string, string> {
  if (apiVersion === '1') return { INFLUX_API_VERSION: '1', INFLUX_URL: server.url, INFLUX_DATABASE: server.database };
  return { INFLUX_API_VERSION: '2', INFLUX_URL: server.v2Url, INFLUX_TOKEN: server.token, INFLUX_ORG: server.org, INFLUX_BUCKET: server.database };
}
