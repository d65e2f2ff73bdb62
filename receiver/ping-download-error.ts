/**
 * A failed download of a ping-mode link. The message names the link without its query string,
 * which contains the signature, so it may be logged and written to the failed area.
 */
export class PingDownloadError extends Error {
  override name = 'PingDownloadError';

  /**
   * @param retryUntilMs set when another attempt may succeed (a network error, a timeout, HTTP 5xx
   *   or 429): the time, in Unix milliseconds, when the link expires and attempts must stop.
   */
  constructor(
    message: string,
    readonly retryUntilMs?: number,
  ) {
    super(message);
  }

  /** Returns whether an attempt started `delayMs` from now would still be before the link expires. */
  canRetryAfter(delayMs: number, nowMs = Date.now()): boolean {
    return this.retryUntilMs !== undefined && nowMs + delayMs < this.retryUntilMs;
  }
}
