/** Response types of the dashboard-lite JSON API (see the README's API section). */

export interface PersonProviders {
  person: string;
  providers: string[];
}

export interface PeopleResponse {
  authentication: 'basic' | 'off';
  people: PersonProviders[];
}

export type NightStatus = 'below' | 'within' | 'above' | 'insufficient';

export interface Night {
  /** The night's date, YYYY-MM-DD: the wake-up date as the wearable wrote it. */
  date: string;
  rmssdMs: number;
  lnRmssd: number;
  samples: number;
  basis: string;
  baselineMs: number | null;
  normalLowMs: number | null;
  normalHighMs: number | null;
  cv7d: number | null;
  status: NightStatus;
}

export interface NightsResponse {
  person: string;
  provider: string;
  from: string;
  to: string;
  nights: Night[];
}

export interface Sample {
  /** ISO 8601 time in UTC. */
  time: string;
  rmssdMs: number | null;
  sdnnMs: number | null;
}

export interface SamplesResponse {
  night: string;
  sessions: Array<{ startTime: string; endTime: string }>;
  samples: Sample[];
}

/** An API error: the HTTP status and the server's message, which names what to check. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Fetches a JSON API path of this origin; throws ApiError with the server's message otherwise. */
export async function fetchJson<T>(path: string, parameters: Record<string, string> = {}): Promise<T> {
  const query = new URLSearchParams(parameters).toString();
  let response: Response;
  try {
    response = await fetch(query === '' ? path : `${path}?${query}`, { headers: { accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'The dashboard-lite server did not respond. Check that its container or process is running.');
  }

  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) throw new ApiError(response.status, body.message ?? `The server responded with HTTP ${response.status}.`);
  return body as T;
}
