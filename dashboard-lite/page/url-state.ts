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

export function readViewState(search: string): ViewState {
  const parameters = new URLSearchParams(search);
  const range = parameters.get('range') ?? DEFAULT_RANGE;
  return {
    person: parameters.get('person') ?? undefined,
    provider: parameters.get('provider') ?? undefined,
    range: RANGES.includes(range) ? range : DEFAULT_RANGE,
    night: /^\d{4}-\d{2}-\d{2}$/.test(parameters.get('night') ?? '') ? (parameters.get('night') as string) : undefined,
  };
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
