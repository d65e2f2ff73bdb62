import type { Chart, ChartEvent } from 'chart.js';
import type { Night } from './api.js';
import { chartClass } from './chart-global.js';
import { dayNumberOf, formatDay } from './dates.js';

/** Index of the nightly RMSSD points among the chart's datasets. */
export const RMSSD_DATASET_INDEX = 3;

type Point = { x: number; y: number | null };

function points(nights: readonly Night[], value: (night: Night) => number | null): Point[] {
  return nights.map((night) => ({ x: dayNumberOf(night.date), y: value(night) }));
}

function datasets(nights: readonly Night[]) {
  const line = { pointRadius: 0, borderWidth: 0, spanGaps: false, tension: 0 };
  return [
    { label: 'Normal range low', data: points(nights, (night) => night.normalLowMs), ...line, fill: false },
    { label: 'Normal range', data: points(nights, (night) => night.normalHighMs), ...line, fill: '-1', backgroundColor: 'rgba(46, 160, 67, 0.15)' },
    { label: '7-night baseline', data: points(nights, (night) => night.baselineMs), ...line, borderWidth: 2, borderColor: '#1f6feb' },
    { label: 'Nightly RMSSD', data: points(nights, (night) => night.rmssdMs), showLine: false, pointRadius: 4, pointHoverRadius: 7, backgroundColor: '#1d2330', borderColor: '#1d2330' },
  ];
}

/**
 * Draws nightly RMSSD as points, the baseline as a line and the normal range as a band, on an x
 * axis of day numbers labelled as UTC dates, so a night stays on its date in every time zone.
 * `onSelect` receives the night whose point was clicked.
 */
export function drawNightsChart(canvas: HTMLCanvasElement, nights: readonly Night[], onSelect: (night: Night) => void): Chart {
  const Chart = chartClass();
  Chart.getChart(canvas)?.destroy();
  canvas.dataset.nights = String(nights.length);

  return new Chart(canvas, {
    type: 'line',
    data: { datasets: datasets(nights) },
    options: {
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: { type: 'linear', ticks: { callback: (value) => formatDay(Number(value), 'short'), maxTicksLimit: 8 } },
        y: { title: { display: true, text: 'RMSSD (ms)' } },
      },
      plugins: {
        legend: { labels: { filter: (item) => item.text !== 'Normal range low' } },
        tooltip: {
          filter: (item) => item.datasetIndex !== 0,
          callbacks: {
            title: (items) => (items[0] === undefined ? '' : formatDay(items[0].parsed.x ?? 0, 'long')),
            label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(1)} ms`,
          },
        },
      },
      onClick: (event: ChartEvent, _elements, chart) => {
        const nearest = chart.getElementsAtEventForMode(event as unknown as Event, 'nearest', { axis: 'x', intersect: false }, false);
        const index = nearest[0]?.index;
        if (index !== undefined && nights[index] !== undefined) onSelect(nights[index]);
      },
    },
  });
}
