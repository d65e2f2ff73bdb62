import { ConfigError } from '../receiver/config.js';
import { createLogger } from '../receiver/logger.js';
import { loadDashboardLiteConfig } from '../dashboard-lite/config.js';
import { startDashboardLite } from '../dashboard-lite/run-dashboard-lite.js';

/** Runs dashboard-lite until SIGTERM or SIGINT, then closes the server and exits 0. */
export async function runDashboardLiteCommand(): Promise<void> {
  let config;
  try {
    config = loadDashboardLiteConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`hrv-stack dashboard-lite: ${error.message}\nSee the configuration table in the README.\n`);
    process.exit(2);
  }

  const logger = createLogger(config.logLevel, 'hrv-dashboard-lite');
  const dashboard = await startDashboardLite(config, logger).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`hrv-stack dashboard-lite: ${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'dashboard-lite failed to start');
    process.exit(1);
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'dashboard-lite stopping');
    dashboard.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
