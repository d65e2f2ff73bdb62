import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { InfluxConfig } from '../influx/create-line-writer.js';

// Environment parsing shared by the receiver and dashboard-lite: number and secret-file rules, the
// InfluxDB variables, and the one ConfigError that lists every bad variable.

/** Variables of the InfluxDB settings whose values are never echoed in an error. */
export const INFLUX_SECRET_VARIABLES = ['INFLUX_TOKEN', 'INFLUX_PASSWORD'] as const;

/** Decimal digits only: Number() would also read `0x1F90`, `1e2` and a blank as numbers. */
export const integer = (min: number, max: number) => {
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

const influxUrl = z.string().superRefine((text, context) => {
  const problem = influxUrlProblem(text);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

export const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** The InfluxDB variables, read by every command that talks to InfluxDB. */
export const influxEnvironmentShape = {
  INFLUX_API_VERSION: z.enum(['1', '2']).default('2'),
  INFLUX_URL: influxUrl.default('http://localhost:8086'),
  INFLUX_TOKEN: optionalText,
  INFLUX_ORG: z.string().min(1).default('hrv'),
  INFLUX_BUCKET: z.string().min(1).default('hrv'),
  INFLUX_DATABASE: z.string().min(1).default('hrv'),
  INFLUX_USERNAME: optionalText,
  INFLUX_PASSWORD: optionalText,
  INFLUX_TIMEOUT_SECONDS: integer(1, 600).default(10),
};

const influxEnvironmentSchema = z.object(influxEnvironmentShape);
type InfluxEnvironment = z.infer<typeof influxEnvironmentSchema>;

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A problem that involves two variables, found on the raw text so that it is reported even when another variable is invalid. */
export interface PairProblem {
  name: string;
  message: string;
}

export function rawText(env: Record<string, string | undefined>, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
}

/** Returns the problems between InfluxDB variables: a token for version 2, a user name with a password. */
export function influxPairProblems(env: Record<string, string | undefined>): PairProblem[] {
  const problems: PairProblem[] = [];
  if ((rawText(env, 'INFLUX_API_VERSION') ?? '2') === '2' && rawText(env, 'INFLUX_TOKEN') === undefined) {
    problems.push({ name: 'INFLUX_TOKEN', message: 'required when INFLUX_API_VERSION is 2, the default (set INFLUX_TOKEN or INFLUX_TOKEN_FILE, or INFLUX_API_VERSION=1 for InfluxDB 1.x)' });
  }
  if (rawText(env, 'INFLUX_PASSWORD') !== undefined && rawText(env, 'INFLUX_USERNAME') === undefined) {
    problems.push({ name: 'INFLUX_USERNAME', message: 'required when INFLUX_PASSWORD is set' });
  }
  return problems;
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
function resolveSecretFiles(env: NodeJS.ProcessEnv, secretNames: readonly string[], problems: string[]): Record<string, string | undefined> {
  // Compose passes `NAME=` for a variable left blank in .env: a blank value counts as not set.
  const resolved: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );

  for (const name of secretNames) {
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

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>, secretNames: readonly string[]): string {
  const name = String(issue.path[0] ?? 'configuration');
  const raw = env[name];
  // A URL with credentials is rejected, and its value is not echoed because it may hold them.
  const isSecret = secretNames.includes(name) || (name === 'INFLUX_URL' && /[@?#]/.test(raw ?? ''));
  let value = `got "${raw}"`;
  if (raw === undefined) value = 'not set';
  else if (isSecret) value = 'value hidden';
  // A secret read from NAME_FILE is named by that variable and path, which is where the fix goes.
  const secretFile = isSecret && raw !== undefined ? env[`${name}_FILE`] : undefined;
  const label = secretFile === undefined ? name : `${name}_FILE=${secretFile}`;
  return `${label}: ${issue.message} (${value})`;
}

export function toInfluxConfig(env: InfluxEnvironment): InfluxConfig {
  const timeoutMs = env.INFLUX_TIMEOUT_SECONDS * 1000;
  const url = env.INFLUX_URL.replace(/\/+$/, '');
  if (env.INFLUX_API_VERSION === '2') {
    const token = env.INFLUX_TOKEN ?? '';
    return { apiVersion: 2, url, token, org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET, timeoutMs };
  }
  const credentials = { username: env.INFLUX_USERNAME, password: env.INFLUX_PASSWORD };
  return { apiVersion: 1, url, database: env.INFLUX_DATABASE, ...credentials, timeoutMs };
}

export interface EnvironmentRules<Schema extends z.ZodType> {
  schema: Schema;
  /** Variables that may come from a `NAME_FILE` and whose values are never echoed. */
  secretNames: readonly string[];
  pairProblems: (env: Record<string, string | undefined>) => PairProblem[];
}

/** Resolves the secret files and parses the environment once; throws ConfigError naming every problem. */
export function parseEnvironment<Schema extends z.ZodType>(env: NodeJS.ProcessEnv, rules: EnvironmentRules<Schema>): z.infer<Schema> {
  const problems: string[] = [];
  const resolved = resolveSecretFiles(env, rules.secretNames, problems);
  const result = rules.schema.safeParse(resolved);

  if (!result.success) problems.push(...result.error.issues.map((issue) => describeIssue(issue, resolved, rules.secretNames)));
  for (const { name, message } of rules.pairProblems(resolved)) problems.push(describeIssue({ path: [name], message } as z.core.$ZodIssue, resolved, rules.secretNames));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  return result.data;
}
