/** Writes line-protocol lines to InfluxDB; both API versions implement it. */
export interface LineWriter {
  /**
   * Writes the lines in batches, in order. Resolves when InfluxDB has accepted all of them and
   * throws InfluxWriteError otherwise. Re-writing a line already stored overwrites the same point.
   */
  write(lines: readonly string[]): Promise<void>;
  /** Throws unless InfluxDB responds to a ping within the timeout. */
  ping(): Promise<void>;
}

/** Lines per write request: InfluxDB recommends batches of about 5,000 lines. */
export const LINES_PER_BATCH = 5000;

export function* batchesOf<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** Returns the network error behind fetch()'s generic "fetch failed", such as ECONNREFUSED. */
export function networkErrorMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function pingInfluxDb(url: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}/ping`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`InfluxDB at ${url} did not respond to a ping: ${networkErrorMessage(error)}`);
  }

  await response.arrayBuffer();
  if (response.status !== 204 && response.status !== 200) {
    throw new Error(`InfluxDB ping at ${url}/ping responded with HTTP ${response.status}`);
  }
}
