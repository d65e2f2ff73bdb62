import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './free-port.js';

const CLI = fileURLToPath(new URL('../../dist/cli/hrv-stack.js', import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ReceiverProcess {
  readonly url: string;
  readonly webhookUrl: string;
  readonly port: number;
  readonly spoolDir: string;
  /** Every stdout line parsed as JSON, and every other line as `{ level: 0, msg: line }`. */
  readonly logs: LogLine[];
  /** Process id of the running receiver, or undefined while none runs. It changes on restart. */
  pid(): number | undefined;
  /** Raw stdout and stderr, to assert that nothing secret was printed. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Starts a new process with the same port, spool and environment. */
  restart(): Promise<void>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Kills the process if it still runs and deletes the temporary spool folder this helper made. */
  dispose(): Promise<void>;
}

export interface ReceiverProcessOptions {
  env: Record<string, string>;
  spoolDir?: string;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the built receiver (`node dist/cli/hrv-stack.js receiver`) as a child process on a free
 * loopback port and resolves once it has logged that it started. `npm test` builds dist first.
 */
export async function startReceiverProcess(options: ReceiverProcessOptions): Promise<ReceiverProcess> {
  const port = await findFreePort();
  const temporaryFolder = options.spoolDir === undefined ? mkdtempSync(join(tmpdir(), 'hrv-receiver-')) : undefined;
  const spoolDir = options.spoolDir ?? join(temporaryFolder as string, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), SPOOL_DIR: spoolDir, ...options.env };
  const logs: LogLine[] = [];
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);

  const launch = async () => {
    const started = logs.length;
    child = spawn(process.execPath, [CLI, 'receiver'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child?.once('exit', (code) => resolve(code)));
    captureOutput(child, logs, (chunk) => {
      output += chunk;
    });
    await waitForLog((line) => line.msg === 'receiver started', 20_000, started);
  };

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 30_000, from = 0) =>
    waitFor('a receiver log line', () => logs.slice(from).find(predicate), timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\nreceiver output:\n${output.slice(-4000)}`);
    });

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  await launch().catch((error: unknown) => {
    if (isRunning()) child?.kill('SIGKILL');
    if (temporaryFolder !== undefined) rmSync(temporaryFolder, { recursive: true, force: true });
    throw error;
  });

  return {
    url: `http://127.0.0.1:${port}`,
    webhookUrl: `http://127.0.0.1:${port}/webhooks/terra`,
    port,
    spoolDir,
    logs,
    pid: () => (isRunning() ? child?.pid : undefined),
    output: () => output,
    async kill(signal) {
      if (child?.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill(signal);
      return exited;
    },
    async restart() {
      if (isRunning()) {
        child?.kill('SIGKILL');
        await exited;
      }
      await launch();
    },
    waitForLog: (predicate, timeoutMs) => waitForLog(predicate, timeoutMs),
    async dispose() {
      if (isRunning()) {
        child?.kill('SIGKILL');
        await exited;
      }
      if (temporaryFolder !== undefined) rmSync(temporaryFolder, { recursive: true, force: true });
    },
  };
}

/**
 * Parses each line the child writes to stdout into `logs` (a line that is not JSON keeps its text
 * as `msg`), and passes every chunk of stdout and stderr to `onOutput`.
 */
export function captureOutput(child: ChildProcess, logs: LogLine[], onOutput: (chunk: string) => void): void {
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    onOutput(chunk);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) logs.push(parseLogLine(line));
  });
  child.stderr?.setEncoding('utf8').on('data', onOutput);
}

function parseLogLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return { level: 0, msg: line };
  }
}
