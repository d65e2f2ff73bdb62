import type { Chart as ChartClass } from 'chart.js';

declare global {
  interface Window {
    /** Chart.js's UMD build, loaded by a classic script before the page's modules. */
    Chart: typeof ChartClass;
  }
}

/** Returns the Chart class of the UMD build, which registers every chart type and scale. */
export function chartClass(): typeof ChartClass {
  return window.Chart;
}
