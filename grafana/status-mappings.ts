import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { STATUS_COLOURS } from './common.js';

/** Value mappings that show each night status with its text and colour. */
export function statusMappings(): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(STATUS_COLOURS).forEach(([status, { text, color }], index) => {
    options[status] = { text, color, index };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}
