import type { Chart } from 'chart.js';
import type { SamplesResponse } from './api.js';
import { chartClass } from './chart-global.js';
import { clockTicks, formatClockTime, parseWrittenTimestamp, writtenOffsetMinutes } from './dates.js';

type Point = { x: number; y: number };

/** Maximum ticks on the time axis, so that HH:MM labels fit on a phone. */
const MAX_TIME_TICKS = 8;

interface SessionOffset {
  startMs: number;
  offsetMs: number;
}

/**
 * Returns each session's start and the UTC offset the wearable wrote on it, oldest first. A
 * timestamp without an offset counts as UTC.
 */
function sessionOffsets(response: SamplesResponse): SessionOffset[] {
  return response.sessions
    .map((session) => ({ startMs: parseWrittenTimestamp(session.startTime), offsetMs: (writtenOffsetMinutes(session.startTime) ?? 0) * 60_000 }))
    .sort((a, b) => a.startMs - b.startMs);
}

/** Returns the offset of the last session that started at or before `timeMs`, else of the first. */
function offsetAt(sessions: readonly SessionOffset[], timeMs: number): number {
  let offsetMs = sessions[0]?.offsetMs ?? 0;
  for (const session of sessions) {
    if (session.startMs <= timeMs) offsetMs = session.offsetMs;
  }
  return offsetMs;
}

/**
 * Returns the points of one value with x as the wearer's clock time: the sample's UTC time plus the
 * offset of its own session, so that a night that spans a time-zone change reads right.
 */
function valuePoints(response: SamplesResponse, value: 'rmssdMs' | 'sdnnMs', sessions: readonly SessionOffset[]): Point[] {
  return response.samples.flatMap((sample) => {
    const y = sample[value];
    if (y === null) return [];
    const timeMs = Date.parse(sample.time);
    return [{ x: timeMs + offsetAt(sessions, timeMs), y }];
  });
}

/**
 * Draws one night's RMSSD and SDNN samples over the wearer's clock time, with ticks on whole or
 * half hours. Each sample is shown in the UTC offset written on its session's start.
 */
export function drawSamplesChart(canvas: HTMLCanvasElement, response: SamplesResponse): Chart {
  const Chart = chartClass();
  Chart.getChart(canvas)?.destroy();
  const sessions = sessionOffsets(response);
  const rmssd = valuePoints(response, 'rmssdMs', sessions);
  const sdnn = valuePoints(response, 'sdnnMs', sessions);
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
        x: {
          type: 'linear',
          bounds: 'data',
          // The x values are already clock times, so they are formatted with offset 0.
          afterBuildTicks: (axis) => {
            axis.ticks = clockTicks(axis.min, axis.max, MAX_TIME_TICKS).map((value) => ({ value }));
          },
          ticks: { callback: (value) => formatClockTime(Number(value), 0) },
        },
        y: { title: { display: true, text: 'ms' } },
      },
      plugins: {
        tooltip: { callbacks: { title: (items) => (items[0] === undefined ? '' : formatClockTime(items[0].parsed.x ?? 0, 0)) } },
      },
    },
  });
}
