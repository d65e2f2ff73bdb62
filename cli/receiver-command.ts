import { ConfigError, loadReceiverConfig } from '../receiver/config.js';
import { createLogger } from '../receiver/logger.js';
import { startReceiver } from '../receiver/run-receiver.js';

/** Runs the receiver until SIGTERM or SIGINT, then shuts down cleanly and exits 0. */
export async function runReceiverCommand(): Promise<void> {
  let config;
  try {
    config = loadReceiverConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`hrv-stack receiver: ${error.message}\nSee the configuration table in the README.\n`);
    process.exit(2);
  }

  const logger = createLogger(config.logLevel);
  const receiver = await startReceiver(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'receiver failed to start');
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    // A second signal ends the wait for the delivery in hand, which stays in the spool.
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now; unfinished deliveries stay in the spool');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: no new deliveries are accepted');
    receiver.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
