import { type Logger, pino } from 'pino';

export type { Logger };

// Defence in depth: call sites never pass headers or bodies, but if one ever does, these paths are masked.
const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'x-api-key',
  '*["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'headers',
  '*.headers',
  'body',
  '*.body',
  'messages',
  '*.messages',
  'prompt',
  '*.prompt',
];

export function createLogger(level: string, name = 'extproc'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
