/** `flockmq start --help`, generated from the settings table. */
import { CONFIG_OPTION, ENV_PREFIX, PORT_OFF, SETTINGS, type Setting } from './settings';
import { expected } from './values';

function placeholder(setting: Setting): string {
  const type = setting.spec.type;
  switch (type.kind) {
    case 'integer':
      return type.max - type.min <= 2 ? `<${expected(type).replace(/, | or /g, '|')}>` : `<${type.unit}>`;
    case 'port':
      return type.off ? `<port|${PORT_OFF}>` : '<port>';
    case 'choice':
    case 'string':
      return `<${type.unit}>`;
    case 'boolean':
      return '';
  }
}

function option(setting: Setting): [string, string] {
  const type = setting.spec.type;
  const flag = type.kind === 'boolean' ? `--[no-]${setting.flag}` : `--${setting.flag} ${placeholder(setting)}`;
  const spec = setting.spec;
  const shown = spec.defaultHelp ?? (typeof spec.default === 'function' ? 'computed' : String(spec.default));
  const choices = type.kind === 'choice' ? `: ${expected(type)}` : '';
  return [flag, `${spec.help}${choices} [default: ${shown}]`];
}

function table(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

export function startHelp(): string {
  const server = SETTINGS.filter((s) => s.group === 'server').map(option);
  const limits = SETTINGS.filter((s) => s.group === 'limits').map(option);
  const rows: [string, string][] = [
    [`--${CONFIG_OPTION.flag} <${CONFIG_OPTION.unit}>`, CONFIG_OPTION.help],
    ...server,
    ...limits,
  ];
  const lines = table(rows);
  const serverLines = lines.slice(0, server.length + 1);
  const limitLines = lines.slice(server.length + 1);
  const example = SETTINGS.find((s) => s.key === 'maxPacketSize') ?? SETTINGS[0];
  return [
    'Usage: flockmq start [options]',
    '',
    'Runs a FlockMQ node: MQTT 3.1.1 and 5.0 over TCP and WebSocket.',
    '',
    `Every option can also be set in the environment as ${ENV_PREFIX}<OPTION>`,
    `(--${example?.flag} → ${example?.env}) or in the JSON file given by --${CONFIG_OPTION.flag}`,
    '(limits go under "limits", e.g. {"port": 1883, "limits": {"maxQoS": 1}}).',
    'Flags override the environment, which overrides the file.',
    '',
    'Logs are JSON lines on stdout, human-readable when stdout is a terminal.',
    '',
    'Options:',
    ...serverLines,
    '',
    'Limits:',
    ...limitLines,
    '',
    '  -h, --help  Show this help',
    '',
  ].join('\n');
}
