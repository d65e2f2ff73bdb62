import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_CLI } from './built-cli.js';
import { captureOutput, waitFor, type LogLine } from './receiver-process.js';

export interface DashboardLiteProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly logs: LogLine[];
  /** Raw stdout and stderr, to assert that no password or HRV value was printed. */
  output(): string;
  /** Kills the process and deletes the temporary data folder this helper made. */
  dispose(): Promise<void>;
}

/**
 * Starts the built `hrv-stack dashboard-lite` on a free loopback port (DASHBOARD_LITE_PORT=0, the
 * bound port read from the start log) and resolves once it has logged that it started.
 */
export async function startDashboardLiteProcess(env: Record<string, string>): Promise<DashboardLiteProcess> {
  const temporaryFolder = mkdtempSync(join(tmpdir(), 'hrv-dashboard-lite-'));
  const dataDir = env.DASHBOARD_LITE_DATA_DIR ?? join(temporaryFolder, 'data');
  const childEnv = { PATH: process.env.PATH ?? '', DASHBOARD_LITE_HOST: '127.0.0.1', DASHBOARD_LITE_PORT: '0', DASHBOARD_LITE_DATA_DIR: dataDir, ...env };
  const logs: LogLine[] = [];
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [BUILT_CLI, 'dashboard-lite'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  captureOutput(child, logs, (chunk) => {
    output += chunk;
  });

  const dispose = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(temporaryFolder, { recursive: true, force: true });
  };

  try {
    const started = await waitFor('dashboard-lite to start', () => logs.find((line) => line.msg === 'dashboard-lite started') ?? (child.exitCode === null ? undefined : null), 20_000);
    if (started === null) throw new Error(`dashboard-lite exited with code ${child.exitCode}`);
    return { url: `http://127.0.0.1:${String(started.port)}`, dataDir, logs, output: () => output, dispose };
  } catch (error) {
    await dispose();
    throw new Error(`${(error as Error).message}\ndashboard-lite output:\n${output.slice(-4000)}`);
  }
}
