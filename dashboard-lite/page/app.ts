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
let state: ViewState = readViewState(location.search);

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

function fillOptions(select: HTMLSelectElement, values: readonly string[], selected: string | undefined): string | undefined {
  select.replaceChildren(...values.map((value) => new Option(value, value)));
  const chosen = selected !== undefined && values.includes(selected) ? selected : values[0];
  if (chosen !== undefined) select.value = chosen;
  return chosen;
}

/** Makes the pickers match the state, falling back to the first person and provider. */
function syncPickers(): void {
  state.person = fillOptions(personPicker, people.map((entry) => entry.person), state.person);
  const providers = people.find((entry) => entry.person === state.person)?.providers ?? [];
  state.provider = fillOptions(providerPicker, providers, state.provider);
  byId('provider-label').hidden = providers.length < 2;
  rangePicker.value = state.range;
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
    response.samples.length === 0
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
  writeViewState(state, true);
  render().catch(showError);
}

personPicker.addEventListener('change', () => onPickerChange({ person: personPicker.value, provider: undefined }));
providerPicker.addEventListener('change', () => onPickerChange({ provider: providerPicker.value }));
rangePicker.addEventListener('change', () => onPickerChange({ range: rangePicker.value }));
window.addEventListener('popstate', () => {
  state = readViewState(location.search);
  render().catch(showError);
});

start().catch(showError);
