import pino, { type Logger } from 'pino';

/**
 * Creates the JSON-lines logger. The code never passes HRV values, payloads, tokens or secrets to
 * it, and header and secret fields are redacted as well, in case an error object carries them.
 */
export function createLogger(level: string, service = 'hrv-receiver'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['headers', '*.headers', 'authorization', '*.authorization', 'token', '*.token', 'secret', '*.secret', 'body', '*.body'],
      censor: '[redacted]',
    },
  });
}
