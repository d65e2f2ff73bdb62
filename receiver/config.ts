import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isKnownTimeZone } from '../terra/timestamp.js';
import { parsePersonLabels } from '../terra/person.js';
import type { InfluxConfig } from '../influx/create-line-writer.js';
import { DEFAULT_NORMAL_RANGE_SD } from '../hrv-model/rolling-values.js';
import { DEFAULT_WARN_AFTER_MS } from './large-request-tracker.js';
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from './heartbeat.js';

const SECRET_VARIABLES = ['TERRA_SIGNING_SECRET', 'INFLUX_TOKEN', 'INFLUX_PASSWORD'] as const;

const MEBIBYTE = 1024 * 1024;

/** Decimal digits only: Number() would also read `0x1F90`, `1e2` and a blank as numbers. */
const integer = (min: number, max: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,10}$/, { error })
    .transform(Number)
    .pipe(z.number().min(min, { error }).max(max, { error }));
};

/** Returns why an InfluxDB base URL is not usable, or undefined. */
function influxUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected an http:// or https:// URL such as http://localhost:8086';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL such as http://localhost:8086';
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return 'must not contain a user name, password, query or fragment: use INFLUX_TOKEN, or INFLUX_USERNAME and INFLUX_PASSWORD';
  }
  return undefined;
}

/** Accepts a plain decimal number such as 0.5 or 1, because Number() would also read `0x1`, `1e0` and a blank. */
const decimal = (min: number, max: number) => {
  const error = `expected a decimal number from ${min} to ${max}, such as 0.5`;
  return z
    .string()
    .regex(/^[0-9]{1,3}(\.[0-9]{1,6})?$/, { error })
    .transform(Number)
    .pipe(z.number().min(min, { error }).max(max, { error }));
};

const influxUrl = z.string().superRefine((text, context) => {
  const problem = influxUrlProblem(text);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const environmentSchema = z
  .object({
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: integer(0, 65535).default(8080),
    ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    ADMIN_PORT: integer(0, 65535).optional(),
    TERRA_SIGNING_SECRET: optionalText,
    TERRA_SIGNATURE_TOLERANCE_SECONDS: integer(0, 7 * 24 * 3600).default(300),
    SIGNATURE_FAILURE_BURST: integer(0, 100_000).default(20),
    SIGNATURE_FAILURE_REFILL_PER_MINUTE: integer(1, 60_000).default(10),
    SPOOL_DIR: z.string().min(1).default('./spool'),
    MAX_BODY_BYTES: integer(1024, 1024 * MEBIBYTE).default(64 * MEBIBYTE),
    DEFAULT_TIMEZONE: z
      .string()
      .default('UTC')
      .refine(isKnownTimeZone, 'expected an IANA time-zone name such as UTC or Europe/Berlin'),
    PERSON_LABELS: z.string().default('').transform((text, context) => {
      const parsed = parsePersonLabels(text);
      if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed });
      return typeof parsed === 'string' ? new Map<string, string>() : parsed;
    }),
    INFLUX_API_VERSION: z.enum(['1', '2']).default('2'),
    INFLUX_URL: influxUrl.default('http://localhost:8086'),
    INFLUX_TOKEN: optionalText,
    INFLUX_ORG: z.string().min(1).default('hrv'),
    INFLUX_BUCKET: z.string().min(1).default('hrv'),
    INFLUX_DATABASE: z.string().min(1).default('hrv'),
    INFLUX_USERNAME: optionalText,
    INFLUX_PASSWORD: optionalText,
    INFLUX_TIMEOUT_SECONDS: integer(1, 600).default(10),
    INFLUX_RETRY_MAX_DELAY_SECONDS: integer(1, 3600).default(60),
    HRV_NORMAL_RANGE_SD: decimal(0.1, 3).default(DEFAULT_NORMAL_RANGE_SD),
    TERRA_PING_TIMEOUT_SECONDS: integer(1, 600).default(60),
    TERRA_PING_ALLOW_HTTP_LOOPBACK: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .default('false')
      .transform((text) => text === 'true'),
    LARGE_REQUEST_WARN_AFTER_SECONDS: integer(1, 7 * 24 * 3600).default(DEFAULT_WARN_AFTER_MS / 1000),
    HEARTBEAT_INTERVAL_SECONDS: integer(0, 3600).default(DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

/** A problem that involves two variables, found on the raw text so that it is reported even when another variable is invalid. */
interface PairProblem {
  name: string;
  message: string;
}

function rawText(env: Record<string, string | undefined>, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
}

function variablePairProblems(env: Record<string, string | undefined>): PairProblem[] {
  const problems: PairProblem[] = [];
  if ((rawText(env, 'INFLUX_API_VERSION') ?? '2') === '2' && rawText(env, 'INFLUX_TOKEN') === undefined) {
    problems.push({ name: 'INFLUX_TOKEN', message: 'required when INFLUX_API_VERSION is 2 (set INFLUX_TOKEN or INFLUX_TOKEN_FILE)' });
  }
  const adminPort = rawText(env, 'ADMIN_PORT');
  if (adminPort !== undefined && Number(adminPort) !== 0 && Number(adminPort) === Number(rawText(env, 'PORT') ?? '8080')) {
    const message = 'must differ from PORT, because the webhook and the admin routes need a port each (leave ADMIN_PORT unset to serve both on PORT)';
    problems.push({ name: 'ADMIN_PORT', message });
  }
  if (rawText(env, 'INFLUX_PASSWORD') !== undefined && rawText(env, 'INFLUX_USERNAME') === undefined) {
    problems.push({ name: 'INFLUX_USERNAME', message: 'required when INFLUX_PASSWORD is set' });
  }
  return problems;
}

type Environment = z.infer<typeof environmentSchema>;

export interface ReceiverConfig {
  host: string;
  port: number;
  /**
   * Address of the admin routes (/healthz, /readyz, /metrics) when they have their own port;
   * undefined serves them on `port` beside the webhook.
   */
  admin?: { host: string; port: number };
  /** Accepted Terra signing secrets; empty until the user sets one, and then every webhook gets 503. */
  signingSecrets: string[];
  signatureToleranceSeconds: number;
  /** Failed signature checks a client address may make in a row before it gets 429; 0 turns the limit off. */
  signatureFailureBurst: number;
  /** Failed signature checks credited back to each client address per minute. */
  signatureFailureRefillPerMinute: number;
  spoolDir: string;
  maxBodyBytes: number;
  defaultTimeZone: string;
  /** Display names keyed by Terra `reference_id` or `user_id`. */
  personLabels: Map<string, string>;
  influx: InfluxConfig;
  retryMaxDelayMs: number;
  /** k of the normal range exp(m ± k·s) of lnRMSSD; see docs/hrv-model.md. */
  normalRangeSd: number;
  /** Limit for downloading one ping-mode link, redirects and body included. */
  pingTimeoutMs: number;
  /** Test setting: lets ping-mode links use plain http to 127.0.0.1 and ::1 only. */
  pingAllowHttpLoopback: boolean;
  /** Time after which a large request with chunks still missing is logged at warn. */
  largeRequestWarnAfterMs: number;
  /** Time between two `hrv_stack_heartbeat` points; 0 writes none. */
  heartbeatIntervalMs: number;
  logLevel: Environment['LOG_LEVEL'];
}

/** Raised at start with every missing or invalid variable in one message, secrets masked. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the secret from the file named by `NAME_FILE` (Docker secrets). An empty file is an error,
 * and so is a token or password of several lines, which is usually a mistake. Signing secrets may
 * be listed one per line, like the commas of TERRA_SIGNING_SECRET.
 */
function readSecretFile(name: string, path: string): { value: string } | { problem: string } {
  let content: string;
  try {
    content = readFileSync(path, 'utf8').trim();
  } catch (error) {
    return { problem: `${name}_FILE=${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }

  if (content === '') return { problem: `${name}_FILE=${path}: the file is empty` };
  if (name === 'TERRA_SIGNING_SECRET') return { value: content.split(/\r?\n/).join(',') };
  if (/[\r\n]/.test(content)) return { problem: `${name}_FILE=${path}: the file has more than one line; keep only the ${name.toLowerCase().replace('influx_', '')}` };
  return { value: content };
}

/**
 * Reads `NAME` or, when set, the file named by `NAME_FILE`. Setting both is an error, because
 * which one wins would be a guess.
 */
function resolveSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string | undefined> {
  // Compose passes `NAME=` for a variable left blank in .env: a blank value counts as not set.
  const resolved: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );

  for (const name of SECRET_VARIABLES) {
    const path = resolved[`${name}_FILE`];
    if (path === undefined) continue;
    if (resolved[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set: keep one`);
      continue;
    }
    const secret = readSecretFile(name, path);
    if ('problem' in secret) problems.push(secret.problem);
    else resolved[name] = secret.value;
  }

  return resolved;
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'configuration');
  const raw = env[name];
  // A URL with credentials is rejected, and its value is not echoed because it may hold them.
  const isSecret = (SECRET_VARIABLES as readonly string[]).includes(name) || (name === 'INFLUX_URL' && /[@?#]/.test(raw ?? ''));
  let value = `got "${raw}"`;
  if (raw === undefined) value = 'not set';
  else if (isSecret) value = 'value hidden';
  return `${name}: ${issue.message} (${value})`;
}

function toInfluxConfig(env: Environment): InfluxConfig {
  const timeoutMs = env.INFLUX_TIMEOUT_SECONDS * 1000;
  const url = env.INFLUX_URL.replace(/\/+$/, '');
  if (env.INFLUX_API_VERSION === '2') {
    const token = env.INFLUX_TOKEN ?? '';
    return { apiVersion: 2, url, token, org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET, timeoutMs };
  }
  const credentials = { username: env.INFLUX_USERNAME, password: env.INFLUX_PASSWORD };
  return { apiVersion: 1, url, database: env.INFLUX_DATABASE, ...credentials, timeoutMs };
}

/** Reads and validates the receiver's environment once; throws ConfigError naming every problem. */
export function loadReceiverConfig(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const problems: string[] = [];
  const resolved = resolveSecretFiles(env, problems);
  const result = environmentSchema.safeParse(resolved);

  if (!result.success) problems.push(...result.error.issues.map((issue) => describeIssue(issue, resolved)));
  for (const { name, message } of variablePairProblems(resolved)) problems.push(describeIssue({ path: [name], message } as z.core.$ZodIssue, resolved));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const parsed = result.data;
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    ...(parsed.ADMIN_PORT === undefined ? {} : { admin: { host: parsed.ADMIN_HOST, port: parsed.ADMIN_PORT } }),
    signingSecrets: (parsed.TERRA_SIGNING_SECRET ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    signatureToleranceSeconds: parsed.TERRA_SIGNATURE_TOLERANCE_SECONDS,
    signatureFailureBurst: parsed.SIGNATURE_FAILURE_BURST,
    signatureFailureRefillPerMinute: parsed.SIGNATURE_FAILURE_REFILL_PER_MINUTE,
    spoolDir: parsed.SPOOL_DIR,
    maxBodyBytes: parsed.MAX_BODY_BYTES,
    defaultTimeZone: parsed.DEFAULT_TIMEZONE,
    personLabels: parsed.PERSON_LABELS,
    influx: toInfluxConfig(parsed),
    retryMaxDelayMs: parsed.INFLUX_RETRY_MAX_DELAY_SECONDS * 1000,
    normalRangeSd: parsed.HRV_NORMAL_RANGE_SD,
    pingTimeoutMs: parsed.TERRA_PING_TIMEOUT_SECONDS * 1000,
    pingAllowHttpLoopback: parsed.TERRA_PING_ALLOW_HTTP_LOOPBACK,
    largeRequestWarnAfterMs: parsed.LARGE_REQUEST_WARN_AFTER_SECONDS * 1000,
    heartbeatIntervalMs: parsed.HEARTBEAT_INTERVAL_SECONDS * 1000,
    logLevel: parsed.LOG_LEVEL,
  };
}
