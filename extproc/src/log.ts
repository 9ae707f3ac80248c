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

const ERROR_LEVEL = 50;

export interface LoggerOptions {
  name?: string;
  /** Called for every error-level entry that carries an `err` (e.g. to forward it to Sentry). */
  onError?: (error: unknown, message: string | undefined) => void;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const { onError } = options;
  return pino({
    name: options.name ?? 'extproc',
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // pino reads hooks.logMethod unconditionally once `hooks` is present, so leave the key out entirely.
    ...(onError && {
      hooks: {
        logMethod(args, method, levelValue) {
          const [first, second] = args as unknown[];
          if (levelValue >= ERROR_LEVEL && first && typeof first === 'object' && 'err' in first) {
            onError((first as { err: unknown }).err, typeof second === 'string' ? second : undefined);
          }
          method.apply(this, args);
        },
      },
    }),
  });
}
