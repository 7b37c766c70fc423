import type { Command } from './command';

export const DEFAULT_SERVER = '127.0.0.1:9091';

const GLOBAL_HELP = [
  `--server HOST:PORT   admin API of any node (default: $FLOCKMQ_ADMIN_SERVER, else ${DEFAULT_SERVER})`,
  '--token T            admin token (default: $FLOCKMQ_ADMIN_TOKEN)',
  "--tls                use TLS, trusting the system's CAs",
  '--ca FILE            use TLS, trusting this CA (PEM)',
  '--cert FILE          client certificate (PEM), when the admin API requires one',
  '--key FILE           private key (PEM) of --cert',
  '--json               print one JSON document instead of tables',
  '--timeout MS         give up on a call after MS milliseconds (default 5000; rebalance: 35000)',
  '-h, --help           this help; after a command, the help of the command',
];

const usageOf = (command: Command): string =>
  `flockmq ctl ${command.name}${command.synopsis ? ` ${command.synopsis}` : ''}`;

export function globalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'flockmq ctl: inspect and manage a running FlockMQ cluster through the admin API of any node',
    '',
    'Usage: flockmq ctl [options] <command> [arguments]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
    'Exit codes: 0 done, 1 the call failed, 2 usage error.',
    "Run 'flockmq ctl <command> --help' for the options of a command.",
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const aliases = command.aliases?.length
    ? [`Also: ${command.aliases.map((a) => `flockmq ctl ${a}`).join(', ')}`, '']
    : [];
  const details = command.help.length ? ['Arguments and options:', ...command.help.map((line) => `  ${line}`), ''] : [];
  return [
    `Usage: ${usageOf(command)}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    ...(command.description?.length ? [...command.description, ''] : []),
    ...aliases,
    ...details,
    "Global options (--server, --token, --tls, --ca, --cert, --key, --json, --timeout): see 'flockmq ctl --help'.",
    '',
  ].join('\n');
}

export { usageOf };
