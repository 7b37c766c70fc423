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

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * A child logger made on its first line. One per connection: a pino child costs about 1.5 KB
 * (bindings rendered to a string, a prototype with its own hidden class), and an idle client
 * usually never logs at the enabled level. Its bindings are computed when it is made.
 */
export class LazyChildLogger implements Logger {
  private made: Logger | undefined;
  private readonly parent: Logger & { isLevelEnabled?(level: string): boolean };
  private readonly bindings: () => Record<string, unknown>;

  constructor(parent: Logger, bindings: () => Record<string, unknown>) {
    this.parent = parent;
    this.bindings = bindings;
  }

  child(bindings: Record<string, unknown>): Logger {
    const outer = this.bindings;
    return new LazyChildLogger(this.parent, () => ({ ...outer(), ...bindings }));
  }

  trace(obj: object, msg: string): void {
    this.write('trace', obj, msg);
  }

  debug(obj: object, msg: string): void {
    this.write('debug', obj, msg);
  }

  info(obj: object, msg: string): void {
    this.write('info', obj, msg);
  }

  warn(obj: object, msg: string): void {
    this.write('warn', obj, msg);
  }

  error(obj: object, msg: string): void {
    this.write('error', obj, msg);
  }

  private write(level: Level, obj: object, msg: string): void {
    if (this.parent.isLevelEnabled?.(level) === false) return;
    (this.made ??= this.parent.child(this.bindings()))[level](obj, msg);
  }
}
