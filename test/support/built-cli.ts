import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The command line as `npm run build` writes it; the tests run it as a user would. */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/hrv-stack.js', import.meta.url));

export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd: string;
  /** Variables added to the child's environment. */
  env?: Record<string, string>;
  /** Variables of this process left out of the child's environment, so the caller's shell cannot change the outcome. */
  withoutEnv?: readonly string[];
}

/** Runs the built command line with `args` and waits for it to exit. */
export function runBuiltCli(args: string[], options: CliRunOptions): Promise<CliRun> {
  const omitted = new Set(options.withoutEnv ?? []);
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !omitted.has(name)));
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: { ...baseEnv, ...options.env }, cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}
