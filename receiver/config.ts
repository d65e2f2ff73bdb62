import { z } from 'zod';
import { isKnownTimeZone } from '../terra/timestamp.js';
import { parsePersonLabels } from '../terra/person.js';
import type { InfluxConfig } from '../influx/create-line-writer.js';
import { DEFAULT_NORMAL_RANGE_SD } from '../hrv-model/rolling-values.js';
import { DEFAULT_WARN_AFTER_MS } from './large-request-tracker.js';
import {
  INFLUX_SECRET_VARIABLES,
  influxEnvironmentShape,
  influxPairProblems,
  integer,
  logLevel,
  optionalText,
  parseEnvironment,
  rawText,
  toInfluxConfig,
  type PairProblem,
} from './environment.js';
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS, MAX_HEARTBEAT_INTERVAL_SECONDS, MIN_HEARTBEAT_INTERVAL_SECONDS } from './heartbeat.js';

export { ConfigError } from './environment.js';

const SECRET_VARIABLES = ['TERRA_SIGNING_SECRET', ...INFLUX_SECRET_VARIABLES] as const;

const MEBIBYTE = 1024 * 1024;

/** Accepts a plain decimal number such as 0.5 or 1, because Number() would also read `0x1`, `1e0` and a blank. */
const decimal = (min: number, max: number) => {
  const error = `expected a decimal number from ${min} to ${max}, such as 0.5`;
  return z
    .string()
    .regex(/^[0-9]{1,3}(\.[0-9]{1,6})?$/, { error })
    .transform(Number)
    .pipe(z.number().min(min, { error }).max(max, { error }));
};

/** 0 (no heartbeat) or a whole number of seconds that Grafana's 10-minute rules can still see twice. */
const heartbeatInterval = () => {
  const error = `expected 0 or a whole number from ${MIN_HEARTBEAT_INTERVAL_SECONDS} to ${MAX_HEARTBEAT_INTERVAL_SECONDS}`;
  const inRange = (seconds: number) => seconds === 0 || (seconds >= MIN_HEARTBEAT_INTERVAL_SECONDS && seconds <= MAX_HEARTBEAT_INTERVAL_SECONDS);
  return z.string().regex(/^[0-9]{1,10}$/, { error }).transform(Number).pipe(z.number().refine(inRange, { error }));
};

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
    ...influxEnvironmentShape,
    INFLUX_RETRY_MAX_DELAY_SECONDS: integer(1, 3600).default(60),
    HRV_NORMAL_RANGE_SD: decimal(0.1, 3).default(DEFAULT_NORMAL_RANGE_SD),
    TERRA_PING_TIMEOUT_SECONDS: integer(1, 600).default(60),
    TERRA_PING_ALLOW_HTTP_LOOPBACK: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .default('false')
      .transform((text) => text === 'true'),
    LARGE_REQUEST_WARN_AFTER_SECONDS: integer(1, 7 * 24 * 3600).default(DEFAULT_WARN_AFTER_MS / 1000),
    HEARTBEAT_INTERVAL_SECONDS: heartbeatInterval().default(DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
    LOG_LEVEL: logLevel,
  });

function variablePairProblems(env: Record<string, string | undefined>): PairProblem[] {
  const problems: PairProblem[] = [];
  const adminPort = rawText(env, 'ADMIN_PORT');
  if (adminPort !== undefined && Number(adminPort) !== 0 && Number(adminPort) === Number(rawText(env, 'PORT') ?? '8080')) {
    const message = 'must differ from PORT, because the webhook and the admin routes need a port each (leave ADMIN_PORT unset to serve both on PORT)';
    problems.push({ name: 'ADMIN_PORT', message });
  }
  return [...influxPairProblems(env), ...problems];
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

/** Reads and validates the receiver's environment once; throws ConfigError naming every problem. */
export function loadReceiverConfig(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const parsed = parseEnvironment(env, { schema: environmentSchema, secretNames: SECRET_VARIABLES, pairProblems: variablePairProblems });
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
