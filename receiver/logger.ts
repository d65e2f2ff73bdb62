import pino, { type Logger } from 'pino';

/**
 * Creates the JSON-lines logger. Header and secret fields are redacted in case an error object
 * carries them; the code itself never passes HRV values, payloads, tokens or secrets to the logger.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'hrv-receiver' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['headers', '*.headers', 'authorization', '*.authorization', 'token', '*.token', 'secret', '*.secret', 'body', '*.body'],
      censor: '[redacted]',
    },
  });
}
