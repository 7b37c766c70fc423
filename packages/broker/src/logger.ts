/** The logging surface the broker needs; pino's Logger satisfies it. */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  trace(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that discards everything (library default and unit tests). */
export const silentLogger: Logger = {
  child: () => silentLogger,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
