import type { LineWriter } from './line-writer.js';
import { V1LineWriter, type V1WriterOptions } from './v1-line-writer.js';
import { V2LineWriter, type V2WriterOptions } from './v2-line-writer.js';

export type InfluxConfig = ({ apiVersion: 2 } & V2WriterOptions) | ({ apiVersion: 1 } & V1WriterOptions);

export function createLineWriter(config: InfluxConfig): LineWriter {
  return config.apiVersion === 2 ? new V2LineWriter(config) : new V1LineWriter(config);
}
