import { z } from 'zod';
import type { InfluxConfig } from '../influx/create-line-writer.js';
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
} from '../receiver/environment.js';

const SECRET_VARIABLES = ['DASHBOARD_LITE_PASSWORD', ...INFLUX_SECRET_VARIABLES] as const;

/** Shortest password accepted from the environment; the generated one has 32 characters. */
export const MIN_PASSWORD_LENGTH = 12;

/** A DNS name of letters, digits, hyphens and dots (RFC 1123), at most 253 characters. */
const HOST_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Splits `a.lan, B.lan.` into lower-case names without a trailing dot; blanks are dropped. */
function splitHostNames(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim().toLowerCase().replace(/\.$/, ''))
    .filter((name) => name !== '');
}

const environmentSchema = z.object({
  DASHBOARD_LITE_HOST: z.string().min(1).default('0.0.0.0'),
  DASHBOARD_LITE_PORT: integer(0, 65535).default(8081),
  DASHBOARD_LITE_AUTH: z.enum(['basic', 'off'], { error: 'expected basic or off' }).default('basic'),
  DASHBOARD_LITE_USERNAME: z
    .string()
    .default('hrv')
    .refine((name) => /^[^:\s]{1,64}$/.test(name), 'expected 1 to 64 characters without a colon or a space'),
  DASHBOARD_LITE_PASSWORD: optionalText.refine(
    (password) => password === undefined || password.length >= MIN_PASSWORD_LENGTH,
    `expected at least ${MIN_PASSWORD_LENGTH} characters`,
  ),
  DASHBOARD_LITE_DATA_DIR: z.string().min(1).default('./dashboard-lite-data'),
  DASHBOARD_LITE_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform(splitHostNames)
    .refine((names) => names.every((name) => HOST_NAME_PATTERN.test(name)), 'expected comma-separated host names without port or scheme, such as hrv.home.arpa'),
  DASHBOARD_LITE_LOGIN_FAILURE_BURST: integer(1, 100_000).default(10),
  DASHBOARD_LITE_LOGIN_FAILURE_REFILL_PER_MINUTE: integer(1, 60_000).default(6),
  ...influxEnvironmentShape,
  LOG_LEVEL: logLevel,
});

function variablePairProblems(env: Record<string, string | undefined>): PairProblem[] {
  const problems = influxPairProblems(env);
  if (rawText(env, 'DASHBOARD_LITE_AUTH') === 'off' && rawText(env, 'DASHBOARD_LITE_PASSWORD') !== undefined) {
    problems.push({ name: 'DASHBOARD_LITE_AUTH', message: 'is off while DASHBOARD_LITE_PASSWORD is set: unset one of them' });
  }
  return problems;
}

/** The page's HTTP basic auth, or `off` for a trusted LAN. */
export type DashboardAuthConfig =
  | { mode: 'off' }
  /** `password` undefined: a password is generated on first start and kept in `dataDir`. */
  | { mode: 'basic'; username: string; password: string | undefined };

export interface DashboardLiteConfig {
  host: string;
  port: number;
  auth: DashboardAuthConfig;
  /** Folder for the generated password; a volume in the compose stack. */
  dataDir: string;
  /**
   * Host names served besides IP literals and `localhost`; checked whenever auth is off or the
   * list is not empty, against DNS rebinding.
   */
  allowedHosts: string[];
  /** Failed logins a client address may make in a row before it gets 429. */
  loginFailureBurst: number;
  /** Failed logins credited back to each address per minute. */
  loginFailureRefillPerMinute: number;
  influx: InfluxConfig;
  logLevel: string;
}

/** Reads and validates dashboard-lite's environment once; throws ConfigError naming every problem. */
export function loadDashboardLiteConfig(env: NodeJS.ProcessEnv = process.env): DashboardLiteConfig {
  const parsed = parseEnvironment(env, { schema: environmentSchema, secretNames: SECRET_VARIABLES, pairProblems: variablePairProblems });
  const auth: DashboardAuthConfig =
    parsed.DASHBOARD_LITE_AUTH === 'off'
      ? { mode: 'off' }
      : { mode: 'basic', username: parsed.DASHBOARD_LITE_USERNAME, password: parsed.DASHBOARD_LITE_PASSWORD };

  return {
    host: parsed.DASHBOARD_LITE_HOST,
    port: parsed.DASHBOARD_LITE_PORT,
    auth,
    dataDir: parsed.DASHBOARD_LITE_DATA_DIR,
    allowedHosts: parsed.DASHBOARD_LITE_ALLOWED_HOSTS,
    loginFailureBurst: parsed.DASHBOARD_LITE_LOGIN_FAILURE_BURST,
    loginFailureRefillPerMinute: parsed.DASHBOARD_LITE_LOGIN_FAILURE_REFILL_PER_MINUTE,
    influx: toInfluxConfig(parsed),
    logLevel: parsed.LOG_LEVEL,
  };
}
