/**
 * The node's logger: pino, JSON lines by default (what log collectors want), human-readable via
 * pino-pretty when stdout is a terminal. Every line carries `node`; secrets are redacted.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config';

export interface LoggerOptions {
  level: LogLevel;
  nodeId: string;
  /** Human-readable output. Default: whether `destination` (stdout) is a terminal. */
  pretty?: boolean;
  /** Where lines go. Default: stdout. */
  destination?: DestinationStream & { isTTY?: boolean };
}

/** Field names whose values never reach the logs, at the top level or nested up to two levels. */
const SECRET_FIELDS = ['password', 'token', 'secret', 'authorization', 'credentials'];
export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export function createLogger(options: LoggerOptions): PinoLogger {
  const destination = options.destination ?? (process.stdout as DestinationStream & { isTTY?: boolean });
  const human = options.pretty ?? destination.isTTY === true;
  const base = {
    level: options.level,
    base: { node: options.nodeId },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  if (human) {
    // prettyFactory formats synchronously in this thread: no worker, nothing lost at exit.
    const prettify = pretty.prettyFactory({
      colorize: destination.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
    return pino(base, { write: (line: string) => destination.write(prettify(line)) });
  }
  return pino(
    {
      ...base,
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable in any log viewer without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
