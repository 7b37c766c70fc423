/**
 * `flockmq ctl`: the admin API from a shell. The server package's CLI hands it everything after
 * `ctl`. Never throws: every outcome is an exit code, with at most one line on stderr for errors.
 */
import { readFileSync } from 'node:fs';
import { AdminClient, DEFAULT_CLIENT_TIMEOUT_MS, type AdminClientOptions } from './client';
import { Options, UsageError, parseArgs, parseWholeNumber, type ParsedArgs } from './ctl/args';
import { Output, type Command } from './ctl/command';
import { describeCallError } from './ctl/call-errors';
import { DEFAULT_SERVER, commandHelp, globalHelp, usageOf } from './ctl/help';
import { closest } from './ctl/suggest';
import { clients, groups, retained, session, status, subscriptions } from './ctl/commands-read';
import { deleteRetained, deleteSession, drain, kick, logLevel, publish, rebalance } from './ctl/commands-write';

export interface CtlIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const COMMANDS: readonly Command[] = [
  status,
  clients,
  session,
  deleteSession,
  kick,
  subscriptions,
  groups,
  publish,
  retained,
  deleteRetained,
  drain,
  rebalance,
  logLevel,
];

/** Every way to name a command, longest (two-word) names first so `retained delete` wins over `retained`. */
const NAMES: { words: string[]; command: Command }[] = COMMANDS.flatMap((command) =>
  [command.name, ...(command.aliases ?? [])].map((name) => ({ words: name.split(' '), command })),
).sort((x, y) => y.words.length - x.words.length);

/** The command named by the first positionals, and the positionals left for it. */
function findCommand(positionals: string[]): { command: Command; args: string[] } {
  const [first] = positionals;
  if (first === undefined) throw new UsageError("missing command: run 'flockmq ctl --help' to see the commands");
  for (const { words, command } of NAMES) {
    if (words.every((word, i) => positionals[i] === word)) {
      return { command, args: positionals.slice(words.length) };
    }
  }
  const match = closest(first, [...new Set(NAMES.map(({ words }) => words[0]!))]);
  const hint = match === undefined ? "run 'flockmq ctl --help' to see the commands" : `did you mean '${match}'?`;
  throw new UsageError(`unknown command '${first}': ${hint}`);
}

function readPem(options: Options, name: string): Buffer | undefined {
  const file = options.string(name);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`cannot read the --${name} file '${file}' (${reason})`);
  }
}

function clientOptions(
  options: Options,
  env: CtlIo['env'],
  defaultTimeoutMs: number,
): AdminClientOptions & { address: string; timeoutMs: number } {
  const address = options.string('server') ?? (env['FLOCKMQ_ADMIN_SERVER'] || DEFAULT_SERVER);
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(address)) {
    throw new UsageError(`invalid --server '${address}': expected HOST:PORT, e.g. ${DEFAULT_SERVER}`);
  }
  const timeoutRaw = options.string('timeout');
  const timeoutMs =
    timeoutRaw === undefined ? defaultTimeoutMs : parseWholeNumber(timeoutRaw, '--timeout', 1, 3_600_000);
  const [ca, cert, key] = [readPem(options, 'ca'), readPem(options, 'cert'), readPem(options, 'key')];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together: give both');
  const useTls = options.has('tls') || ca !== undefined || cert !== undefined;
  const token = options.string('token') ?? env['FLOCKMQ_ADMIN_TOKEN'];
  const result: AdminClientOptions & { address: string; timeoutMs: number } = { address, timeoutMs };
  if (token !== undefined && token !== '') result.token = token;
  if (useTls) result.tls = ca === undefined && cert === undefined ? true : { ca, cert, key };
  return result;
}

function checkArity(command: Command, args: string[]): void {
  const { min, max, names } = command.args;
  if (args.length < min) {
    const missing = names.split(' ')[args.length] ?? names;
    throw new UsageError(`missing ${missing}: usage: ${usageOf(command)}`);
  }
  if (args.length > max) {
    throw new UsageError(`too many arguments ('${args[max]}'): usage: ${usageOf(command)}`);
  }
}

export async function ctlMain(argv: readonly string[], io: CtlIo): Promise<number> {
  let parsed: ParsedArgs;
  let options: Options;
  let command: Command;
  let args: string[];
  try {
    parsed = parseArgs(argv);
    options = new Options(parsed);
    const help = options.has('help');
    if (help && parsed.positionals.length === 0) {
      io.stdout.write(globalHelp(COMMANDS));
      return EXIT_OK;
    }
    if (parsed.positionals[0] === 'help') {
      const topic = parsed.positionals.slice(1);
      io.stdout.write(topic.length === 0 ? globalHelp(COMMANDS) : commandHelp(findCommand(topic).command));
      return EXIT_OK;
    }
    ({ command, args } = findCommand(parsed.positionals));
    if (help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    options.allowOnly(command.name, command.options);
    checkArity(command, args);
  } catch (err) {
    return fail(io, err, EXIT_USAGE);
  }

  let client: AdminClient | undefined;
  let server = DEFAULT_SERVER;
  let timeoutMs = command.defaultTimeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  try {
    const connection = clientOptions(options, io.env, timeoutMs);
    ({ address: server, timeoutMs } = connection);
    client = new AdminClient(connection);
    await command.run({ client, args, options, out: new Output(options.has('json'), io.stdout, io.stderr) });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) return fail(io, err, EXIT_USAGE);
    io.stderr.write(`flockmq ctl: ${describeCallError(err, server, timeoutMs)}\n`);
    return EXIT_FAILED;
  } finally {
    client?.close();
  }
}

function fail(io: CtlIo, err: unknown, code: number): number {
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`flockmq ctl: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}
