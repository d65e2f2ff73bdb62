import { ApiError, fetchJson, type Night, type NightsResponse, type PeopleResponse, type PersonProviders, type SamplesResponse } from './api.js';
import { dayNumberOf, formatDay } from './dates.js';
import { drawNightsChart } from './nights-chart.js';
import { showLastNight, showNightsTable } from './night-views.js';
import { drawSamplesChart } from './samples-chart.js';
import { readViewState, writeViewState, type ViewState } from './url-state.js';

const NO_DATA_TEXT = [
  'No nights are stored yet. Connect a wearable through Terra (the README explains how), or send test data with ',
  'hrv-stack simulate',
  ', then reload this page. A night appears once the receiver has stored its sleep session.',
];

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no element #${id}`);
  return found as T;
}

const personPicker = byId<HTMLSelectElement>('person-picker');
const providerPicker = byId<HTMLSelectElement>('provider-picker');
const rangePicker = byId<HTMLSelectElement>('range-picker');
let people: PersonProviders[] = [];
let state: ViewState;

/** Shows a message in place of the charts: `parts` alternate between text and code. */
function showMessage(title: string, parts: readonly string[], isError: boolean): void {
  byId('content').hidden = true;
  const message = byId('message');
  message.hidden = false;
  message.classList.toggle('error', isError);
  byId('message-title').textContent = title;
  byId('message-text').replaceChildren(
    ...parts.map((part, index) => {
      if (index % 2 === 0) return document.createTextNode(part);
      const code = document.createElement('code');
      code.textContent = part;
      return code;
    }),
  );
}

function showError(error: unknown): void {
  const text = error instanceof ApiError ? error.message : String(error);
  const title = error instanceof ApiError && error.status === 503 ? 'InfluxDB cannot be read' : 'The data could not be loaded';
  showMessage(title, [text], true);
}

/**
 * Fills a picker and returns the chosen value: `selected`, else the first value. A selected value
 * that is not among `values` gets a disabled placeholder, so that no other value looks chosen.
 */
function fillOptions(select: HTMLSelectElement, values: readonly string[], selected: string | undefined, placeholder: string): string | undefined {
  const options = values.map((value) => new Option(value, value));
  if (selected !== undefined && !values.includes(selected)) {
    const placeholderOption = new Option(placeholder, '', true, true);
    placeholderOption.disabled = true;
    select.replaceChildren(placeholderOption, ...options);
    return selected;
  }

  select.replaceChildren(...options);
  const chosen = selected ?? values[0];
  if (chosen !== undefined) select.value = chosen;
  return chosen;
}

/** Makes the pickers match the state, falling back to the first person and provider when none is given. */
function syncPickers(): void {
  state.person = fillOptions(personPicker, people.map((entry) => entry.person), state.person, 'Choose a person');
  const entry = people.find((candidate) => candidate.person === state.person);
  const providers = entry?.providers ?? [];
  state.provider = fillOptions(providerPicker, providers, state.provider, 'Choose a provider');
  const providerKnown = state.provider === undefined || providers.includes(state.provider);
  byId('provider-label').hidden = entry === undefined || (providers.length < 2 && providerKnown);
  rangePicker.value = state.range;
}

/** Returns message parts that list `names` as code after `intro`, for showMessage. */
function listParts(intro: string, names: readonly string[]): string[] {
  const parts = [intro];
  names.forEach((name, index) => {
    if (index > 0) parts.push(', ');
    parts.push(name);
  });
  parts.push('.');
  return parts;
}

/** Returns a message for a person or provider in the URL that has no data, listing those that exist. */
function unknownSelectionMessage(): { title: string; parts: string[] } | undefined {
  const entry = people.find((candidate) => candidate.person === state.person);
  if (entry === undefined) {
    const intro = 'No data is stored for this person, who may have been deleted or misspelled in the link. Choose one of the people stored: ';
    return { title: `No person named "${state.person}"`, parts: listParts(intro, people.map((candidate) => candidate.person)) };
  }
  if (state.provider !== undefined && !entry.providers.includes(state.provider)) {
    const intro = `Choose one of the providers of ${entry.person}: `;
    return { title: `No data of ${entry.person} from provider "${state.provider}"`, parts: listParts(intro, entry.providers) };
  }
  return undefined;
}

/** Shows, or hides for undefined, the notice that a `night` in the URL was not a valid date. */
function showNightNotice(invalidNight: string | undefined): void {
  const notice = byId('url-notice');
  notice.hidden = invalidNight === undefined;
  notice.textContent = invalidNight === undefined ? '' : `The night "${invalidNight}" in the address is not a valid date (YYYY-MM-DD), so no night is selected.`;
}

/** Reads the view from the address bar, dropping an invalid night with a notice. */
function readStateFromUrl(): void {
  const read = readViewState(location.search);
  state = read.state;
  showNightNotice(read.invalidNight);
}

async function selectNight(night: Night): Promise<void> {
  state.night = night.date;
  writeViewState(state, true);
  for (const row of byId('nights-table').querySelectorAll('tr[data-night]')) row.classList.toggle('selected', (row as HTMLElement).dataset.night === night.date);
  await showSamples();
}

async function showSamples(): Promise<void> {
  const section = byId('samples');
  if (state.person === undefined || state.provider === undefined || state.night === undefined) {
    section.hidden = true;
    return;
  }

  const response = await fetchJson<SamplesResponse>('api/samples', { person: state.person, provider: state.provider, night: state.night });
  section.hidden = false;
  byId('samples-title').textContent = `Samples of the night ending ${formatDay(dayNumberOf(response.night), 'long')}`;
  const rmssd = response.samples.filter((sample) => sample.rmssdMs !== null).length;
  const sdnn = response.samples.filter((sample) => sample.sdnnMs !== null).length;
  byId('samples-summary').textContent =
    response.sessions.length === 0
      ? 'No sleep session is stored for this night.'
      : response.samples.length === 0
        ? 'The wearable sent no samples for this night; its value comes from a nightly average.'
        : `${rmssd} RMSSD and ${sdnn} SDNN samples from ${response.sessions.length} sleep session(s), at the wearer's clock time.`;
  drawSamplesChart(byId<HTMLCanvasElement>('samples-chart'), response);
}

async function showNights(): Promise<void> {
  if (state.person === undefined || state.provider === undefined) return;
  const response = await fetchJson<NightsResponse>('api/nights', { person: state.person, provider: state.provider, range: state.range });
  const { nights } = response;
  if (nights.length === 0) {
    showMessage(`No nights for ${state.person} in this range`, ['Choose a longer range, or another person. Nights appear once the receiver has stored a sleep session.'], false);
    return;
  }

  byId('message').hidden = true;
  byId('content').hidden = false;
  showLastNight(nights[nights.length - 1]!);
  drawNightsChart(byId<HTMLCanvasElement>('nights-chart'), nights, (night) => void selectNight(night).catch(showError));
  showNightsTable(nights, state.night, (night) => void selectNight(night).catch(showError));
  await showSamples();
}

async function render(): Promise<void> {
  syncPickers();
  const unknown = unknownSelectionMessage();
  if (unknown !== undefined) {
    // The URL is kept as it is, so that the address still shows what the link asked for.
    showMessage(unknown.title, unknown.parts, false);
    return;
  }
  writeViewState(state, false);
  await showNights();
}

async function start(): Promise<void> {
  const response = await fetchJson<PeopleResponse>('api/people');
  byId('auth-notice').hidden = response.authentication !== 'off';
  people = response.people;
  if (people.length === 0) {
    showMessage('No data yet', NO_DATA_TEXT, false);
    return;
  }
  await render();
}

function onPickerChange(change: Partial<ViewState>): void {
  state = { ...state, ...change, night: undefined };
  showNightNotice(undefined);
  writeViewState(state, true);
  render().catch(showError);
}

personPicker.addEventListener('change', () => onPickerChange({ person: personPicker.value, provider: undefined }));
providerPicker.addEventListener('change', () => onPickerChange({ provider: providerPicker.value }));
rangePicker.addEventListener('change', () => onPickerChange({ range: rangePicker.value }));
window.addEventListener('popstate', () => {
  readStateFromUrl();
  render().catch(showError);
});

readStateFromUrl();
start().catch(showError);
