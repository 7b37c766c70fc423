/**
 * The `flockmq` command, with its process surface (argv, env, stdio, signals, exit) injected so
 * it runs in-process in tests. `cli.ts` wires it to the real process.
 *
 * Exit codes: 0 done (including a graceful shutdown), 1 failure at run time (a port in use),
 * 2 usage or configuration error; a second SIGINT/SIGTERM exits at once with 128 + signal number.
 */
import { loadConfig, startHelp } from './config';
import { createLogger } from './logging';
import { startServer, type FlockServer } from './server';
import { ctlMain } from '@flockmq/admin';
import { didYouMean } from './suggest';
import { version } from './version';

type Signal = 'SIGINT' | 'SIGTERM';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Logs and help go here. */
  stdout: { write(text: string): unknown; isTTY?: boolean };
  /** Errors go here, one line each. */
  stderr: { write(text: string): unknown };
  signals: {
    on(signal: Signal, listener: () => void): unknown;
    off(signal: Signal, listener: () => void): unknown;
  };
  /** Exits the process at once (the second signal). */
  exit(code: number): void;
  /** Default for --node-id. Default: os.hostname(). */
  hostname?: () => string;
  /** Told once the node is listening (tests use it to find the ports). */
  onStarted?: (server: FlockServer) => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const EXIT_ON_SIGNAL: Readonly<Record<Signal, number>> = { SIGINT: 130, SIGTERM: 143 };

const COMMANDS = ['start', 'ctl'];

export function usage(): string {
  return [
    'Usage: flockmq <command> [options]',
    '',
    'Commands:',
    '  start          Run a FlockMQ node (flockmq start --help lists its options)',
    '  ctl            Administer a running flock over its admin API (flockmq ctl --help)',
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -v, --version  Print the version',
    '',
  ].join('\n');
}

/** By code rather than instanceof, so a FlockError from another copy of the package counts too. */
const isFlockError = (error: unknown): error is Error & { code: string } => {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('FLOCK_ERR_');
};

/** Prints `flockmq: <message>` and returns the exit code for the error. */
function report(io: CliIo, error: unknown): number {
  if (isFlockError(error)) {
    io.stderr.write(`flockmq: ${error.message}\n`);
    return error.code === 'FLOCK_ERR_CONFIG_INVALID' ? EXIT_USAGE : EXIT_FAILURE;
  }
  io.stderr.write(
    `flockmq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT_FAILURE;
}

/** Runs `flockmq <argv…>`; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(usage());
    return EXIT_OK;
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  if (command.startsWith('-')) {
    io.stderr.write(`flockmq: options go after the command, as in: flockmq start ${argv.join(' ')}\n`);
    return EXIT_USAGE;
  }
  if (!COMMANDS.includes(command)) {
    io.stderr.write(
      `flockmq: unknown command ${JSON.stringify(command)}${didYouMean(command, COMMANDS, (c) => JSON.stringify(c))}; see flockmq --help\n`,
    );
    return EXIT_USAGE;
  }
  if (command === 'ctl') return ctlMain(rest, io);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(startHelp());
    return EXIT_OK;
  }
  return start(rest, io);
}

async function start(argv: readonly string[], io: CliIo): Promise<number> {
  const warnings: string[] = [];
  let config;
  try {
    config = loadConfig({ argv, env: io.env, hostname: io.hostname, onWarning: (w) => warnings.push(w) });
  } catch (error) {
    return report(io, error);
  }

  const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId, destination: io.stdout });
  for (const warning of warnings) logger.warn({ warning }, 'config_warning');

  // Signals are handled from before the server starts: a SIGTERM during start-up (a pod deleted
  // right after it was created) still shuts down gracefully instead of killing the process.
  let signalled: Signal | undefined;
  let shutdown: (() => void) | undefined;
  const startUp = new AbortController();
  const onSignal = (signal: Signal): void => {
    if (signalled !== undefined) {
      io.stderr.write(`flockmq: ${signal} again, exiting without waiting for shutdown\n`);
      io.exit(EXIT_ON_SIGNAL[signal]);
      return;
    }
    signalled = signal;
    logger.info({ signal }, 'shutdown_requested');
    startUp.abort();
    shutdown?.();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  io.signals.on('SIGINT', onInt);
  io.signals.on('SIGTERM', onTerm);
  const removeHandlers = (): void => {
    io.signals.off('SIGINT', onInt);
    io.signals.off('SIGTERM', onTerm);
  };

  let server: FlockServer;
  try {
    server = await startServer(config, {
      logger,
      signal: startUp.signal,
      // The drain outlived its budget (--drain-timeout): exit now rather than be SIGKILLed mid-write.
      onDrainTimeout: () => io.exit(EXIT_FAILURE),
    });
  } catch (error) {
    removeHandlers();
    // Stopped while still waiting for Redis or NATS: a clean exit, not a failure.
    if ((error as { code?: unknown }).code === 'FLOCK_ERR_CANCELLED') return EXIT_OK;
    return report(io, error);
  }
  io.onStarted?.(server);

  const running = server;
  // A SIGTERM drains the node (G5); so does `flockmq ctl drain`, after which the process exits too.
  const code = await new Promise<number>((resolve) => {
    const finished = (stopped: Promise<void>): void => {
      stopped.then(
        () => resolve(EXIT_OK),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown_failed');
          resolve(EXIT_FAILURE);
        },
      );
    };
    shutdown = () => finished(running.shutdown('signal'));
    void running.closed().then(() => finished(running.shutdown()));
    if (signalled !== undefined) shutdown();
  });
  removeHandlers();
  return code;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    exit: (code) => process.exit(code),
  };
}
