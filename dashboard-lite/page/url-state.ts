/** The view the URL describes, so a view can be bookmarked or shared. */
export interface ViewState {
  person?: string;
  provider?: string;
  range: string;
  /** Night whose samples are shown, YYYY-MM-DD. */
  night?: string;
}

export const RANGES = ['30d', '90d', '1y', 'all'];
export const DEFAULT_RANGE = '90d';

/** The view the URL describes, and a `night` value it contained that is not a valid date. */
export interface ReadViewState {
  state: ViewState;
  invalidNight: string | undefined;
}

/** True for a real calendar date YYYY-MM-DD from 2000 to 2099, the years the server stores. */
export function isNightDate(text: string): boolean {
  if (!/^20\d{2}-\d{2}-\d{2}$/.test(text)) return false;
  const epochMs = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(epochMs) && new Date(epochMs).toISOString().slice(0, 10) === text;
}

/** Reads the view from the query string. An invalid `night` is dropped and returned apart, for a notice. */
export function readViewState(search: string): ReadViewState {
  const parameters = new URLSearchParams(search);
  const range = parameters.get('range') ?? DEFAULT_RANGE;
  const night = parameters.get('night') ?? undefined;
  const validNight = night !== undefined && isNightDate(night);
  const state = {
    person: parameters.get('person') ?? undefined,
    provider: parameters.get('provider') ?? undefined,
    range: RANGES.includes(range) ? range : DEFAULT_RANGE,
    night: validNight ? night : undefined,
  };
  return { state, invalidNight: validNight ? undefined : night };
}

/** Writes the state into the address bar; `push` adds a history entry so Back returns to the previous view. */
export function writeViewState(state: ViewState, push: boolean): void {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(state)) {
    if (typeof value === 'string') parameters.set(name, value);
  }
  const url = `${location.pathname}?${parameters.toString()}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}
