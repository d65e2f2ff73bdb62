import type { Chart } from 'chart.js';
import type { SamplesResponse } from './api.js';
import { chartClass } from './chart-global.js';
import { formatClockTime, writtenOffsetMinutes } from './dates.js';

type Point = { x: number; y: number };

function valuePoints(response: SamplesResponse, value: 'rmssdMs' | 'sdnnMs'): Point[] {
  return response.samples.flatMap((sample) => {
    const y = sample[value];
    return y === null ? [] : [{ x: Date.parse(sample.time), y }];
  });
}

/**
 * Draws one night's RMSSD and SDNN samples over time. Times are shown in the UTC offset the
 * wearable wrote on the session's start, or in UTC when it wrote none.
 */
export function drawSamplesChart(canvas: HTMLCanvasElement, response: SamplesResponse): Chart {
  const Chart = chartClass();
  Chart.getChart(canvas)?.destroy();
  const offset = writtenOffsetMinutes(response.sessions[0]?.startTime ?? '') ?? 0;
  const rmssd = valuePoints(response, 'rmssdMs');
  const sdnn = valuePoints(response, 'sdnnMs');
  canvas.dataset.rmssdSamples = String(rmssd.length);
  canvas.dataset.sdnnSamples = String(sdnn.length);

  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label: 'RMSSD (ms)', data: rmssd, borderColor: '#1f6feb', backgroundColor: '#1f6feb', pointRadius: 2, borderWidth: 1 },
        { label: 'SDNN (ms)', data: sdnn, borderColor: '#b45309', backgroundColor: '#b45309', pointRadius: 2, borderWidth: 1 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      scales: {
        x: { type: 'linear', ticks: { callback: (value) => formatClockTime(Number(value), offset), maxTicksLimit: 8 } },
        y: { title: { display: true, text: 'ms' } },
      },
      plugins: {
        tooltip: { callbacks: { title: (items) => (items[0] === undefined ? '' : formatClockTime(items[0].parsed.x ?? 0, offset)) } },
      },
    },
  });
}
