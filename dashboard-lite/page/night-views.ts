import type { Night, NightStatus } from './api.js';
import { dayNumberOf, formatDay } from './dates.js';

/** Status descriptions in words. Each status compares the 7-night baseline with the person's normal range. */
const STATUS_WORDS: Record<NightStatus, string> = {
  below: 'The 7-night baseline is below the normal range.',
  within: 'The 7-night baseline is within the normal range.',
  above: 'The 7-night baseline is above the normal range.',
  insufficient: 'Not enough earlier nights yet for a normal range, which needs 14 in the last 60 days.',
};

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no element #${id}`);
  return found;
}

export function formatMs(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)}`;
}

function formatRange(night: Night): string {
  return night.normalLowMs === null || night.normalHighMs === null ? '–' : `${formatMs(night.normalLowMs)}–${formatMs(night.normalHighMs)}`;
}

/** Fills the card of the latest night in the list. */
export function showLastNight(night: Night): void {
  element('last-night-date').textContent = formatDay(dayNumberOf(night.date), 'long');
  element('last-night-rmssd').textContent = `${formatMs(night.rmssdMs)} ms`;
  element('last-night-baseline').textContent = night.baselineMs === null ? '–' : `${formatMs(night.baselineMs)} ms`;
  element('last-night-range').textContent = night.normalLowMs === null ? '–' : `${formatRange(night)} ms`;
  const status = element('last-night-status');
  status.textContent = STATUS_WORDS[night.status];
  status.className = `status status-${night.status}`;
}

function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

/** Fills the table, newest night first; each date is a button that selects the night. */
export function showNightsTable(nights: readonly Night[], selected: string | undefined, onSelect: (night: Night) => void): void {
  const body = element('nights-table').querySelector('tbody');
  if (body === null) return;
  body.replaceChildren();

  for (const night of [...nights].reverse()) {
    const row = body.insertRow();
    row.dataset.night = night.date;
    if (night.date === selected) row.classList.add('selected');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = night.date;
    button.setAttribute('aria-label', `Show the samples of ${night.date}`);
    button.addEventListener('click', () => onSelect(night));
    row.insertCell().append(button);
    cell(row, formatMs(night.rmssdMs));
    cell(row, formatMs(night.baselineMs));
    cell(row, formatRange(night));
    cell(row, night.status);
    cell(row, String(night.samples));
  }
}
