import pino, { type Logger } from 'pino';

export interface CollectedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Creates a real pino logger whose JSON lines are parsed into `lines` instead of printed. */
export function collectingLogger(): { logger: Logger; lines: CollectedLine[] } {
  const lines: CollectedLine[] = [];
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as CollectedLine) };
  return { logger: pino({ level: 'debug' }, stream), lines };
}
