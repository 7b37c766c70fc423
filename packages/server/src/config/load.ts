/**
 * Builds the ServerConfig from its sources, each overriding the one before:
 *
 *   defaults < config file (--config / FLOCKMQ_CONFIG) < environment (FLOCKMQ_*) < flags
 *
 * Every invalid value fails with FlockError('FLOCK_ERR_CONFIG_INVALID') and a one-line message
 * that names where the value came from (`--port`, `FLOCKMQ_MAX_QOS`, `flock.json: limits.maxQoS`)
 * and what would be valid.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { BrokerLimits } from '@flockmq/broker';
import { didYouMean } from '../suggest';
import { configError, parseFlags } from './args';
import {
  CONFIG_OPTION,
  ENV_PREFIX,
  PORT_OFF,
  SETTINGS,
  defaultValue,
  settingByEnv,
  settingByPath,
  type ServerConfig,
  type Setting,
} from './settings';
import { parseJson, parseText, type Parsed } from './values';

/** Where the configuration comes from; everything is injectable so tests need no process state. */
export interface ConfigSources {
  /** Flags after the command name (`start`). Default: none. */
  argv?: readonly string[];
  /** Environment variables. Default: none (pass process.env explicitly). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads the config file. Default: fs.readFileSync as UTF-8. */
  readFile?: (path: string) => string;
  /** Default for --node-id. Default: os.hostname(). */
  hostname?: () => string;
  /** Told about things that are ignored rather than fatal (an unknown FLOCKMQ_ variable). */
  onWarning?: (message: string) => void;
}

/** A value that was set, and the label errors use for where it was set. */
interface Assignment {
  readonly setting: Setting;
  readonly value: unknown;
  readonly source: string;
}

function must(parsed: Parsed, source: string): unknown {
  if (!parsed.ok) throw configError(`${source}: ${parsed.problem}`);
  return parsed.value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readConfigFile(path: string, from: string, readFile: (path: string) => string): Assignment[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code ?? error);
    throw configError(`${from}: cannot read config file ${JSON.stringify(path)} (${why})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw configError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(json)) throw configError(`${path}: expected a JSON object such as {"port": 1883}`);

  const assignments: Assignment[] = [];
  const paths = [...settingByPath.keys()];
  const unknownKey = (key: string): never => {
    throw configError(`${path}: unknown key ${JSON.stringify(key)}${didYouMean(key, paths, (p) => JSON.stringify(p))}`);
  };
  const visit = (keyPath: string, value: unknown): void => {
    const setting = settingByPath.get(keyPath);
    if (setting === undefined) unknownKey(keyPath);
    else {
      const source = `${path}: ${keyPath}`;
      assignments.push({ setting, value: must(parseJson(setting.spec.type, value), source), source });
    }
  };

  for (const [key, value] of Object.entries(json)) {
    if (key !== 'limits') {
      visit(key, value);
      continue;
    }
    if (!isObject(value)) throw configError(`${path}: limits: expected an object such as {"maxQoS": 1}`);
    for (const [limit, limitValue] of Object.entries(value)) visit(`limits.${limit}`, limitValue);
  }
  return assignments;
}

function readEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
): Assignment[] {
  const assignments: Assignment[] = [];
  const known = [CONFIG_OPTION.env, ...settingByEnv.keys()];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || name === CONFIG_OPTION.env) continue;
    const setting = settingByEnv.get(name);
    if (setting === undefined) {
      warn(`${name} is not a FlockMQ setting and is ignored${didYouMean(name, known)}`);
      continue;
    }
    assignments.push({ setting, value: must(parseText(setting.spec.type, raw), name), source: name });
  }
  return assignments;
}

/** Loads, merges and validates the configuration. Throws FlockError('FLOCK_ERR_CONFIG_INVALID'). */
export function loadConfig(sources: ConfigSources = {}): ServerConfig {
  const env = sources.env ?? {};
  const warn = sources.onWarning ?? (() => undefined);
  const flags = parseFlags(sources.argv ?? []);

  const context = { hostname: (sources.hostname ?? os.hostname)() };
  const defaults: Assignment[] = SETTINGS.map((setting) => {
    const value = defaultValue(setting, context);
    const source = `default of --${setting.flag}`;
    if (setting.spec.type.kind === 'string') {
      // A computed default (the host name) can be invalid; say which flag sets it instead.
      const parsed = parseText(setting.spec.type, String(value));
      if (!parsed.ok) {
        throw configError(
          `${source} (${setting.spec.defaultHelp ?? 'built in'}): ${parsed.problem}; set --${setting.flag}`,
        );
      }
    }
    return { setting, value, source };
  });

  const configPath = flags.configPath ?? env[CONFIG_OPTION.env];
  const configFrom = flags.configPath !== undefined ? `--${CONFIG_OPTION.flag}` : CONFIG_OPTION.env;
  const file =
    configPath === undefined
      ? []
      : readConfigFile(configPath, configFrom, sources.readFile ?? ((p) => readFileSync(p, 'utf8')));

  const fromFlags: Assignment[] = flags.values.map(({ setting, text }) => {
    const source = `--${setting.flag}`;
    return { setting, value: must(parseText(setting.spec.type, text), source), source };
  });

  const winners = new Map<Setting, Assignment>();
  for (const assignment of [...defaults, ...file, ...readEnvironment(env, warn), ...fromFlags]) {
    winners.set(assignment.setting, assignment);
  }

  const server: Record<string, unknown> = {};
  const limits: Record<string, unknown> = {};
  for (const { setting, value } of winners.values())
    (setting.group === 'limits' ? limits : server)[setting.key] = value;
  const config = { ...server, limits: limits as unknown as BrokerLimits } as ServerConfig;

  checkConsistency(config, (key) => winners.get(settingByPath.get(key) as Setting)?.source ?? key);
  return config;
}

/** Rules that involve more than one setting. */
function checkConsistency(config: ServerConfig, sourceOf: (key: string) => string): void {
  if (config.wsPort !== PORT_OFF && config.wsPort !== 0 && config.wsPort === config.port) {
    throw configError(
      `${sourceOf('wsPort')}: ${config.wsPort} is also the MQTT/TCP port (${sourceOf('port')}); choose another port or ${PORT_OFF}`,
    );
  }
  const mqttPorts = [config.port, config.wsPort, config.tlsPort, config.wssPort];
  for (const key of ['tlsPort', 'wssPort', 'httpPort', 'adminPort'] as const) {
    const value = config[key];
    const others =
      key === 'tlsPort'
        ? [config.port, config.wsPort]
        : key === 'wssPort'
          ? [config.port, config.wsPort, config.tlsPort]
          : mqttPorts;
    if (value !== PORT_OFF && value !== 0 && others.includes(value)) {
      throw configError(`${sourceOf(key)}: ${value} is also an MQTT port; choose another port or ${PORT_OFF}`);
    }
  }
  if ((config.tlsPort !== PORT_OFF || config.wssPort !== PORT_OFF) && (config.tlsCert === '' || config.tlsKey === '')) {
    const which = config.tlsPort !== PORT_OFF ? 'tlsPort' : 'wssPort';
    throw configError(`${sourceOf(which)} needs a certificate: set --tls-cert and --tls-key (PEM files)`);
  }
  if ((config.tlsCert === '') !== (config.tlsKey === '')) {
    throw configError('TLS needs both --tls-cert and --tls-key');
  }
  if (config.tlsCa !== '' && config.tlsCert === '') {
    throw configError('--tls-ca requires TLS: set --tls-cert and --tls-key too');
  }
  if (config.httpPort !== PORT_OFF && config.httpPort !== 0 && config.httpPort === config.adminPort) {
    throw configError(`${sourceOf('adminPort')}: ${config.adminPort} is also the HTTP (metrics) port; choose another`);
  }
  if ((config.adminTlsCert === '') !== (config.adminTlsKey === '')) {
    throw configError('admin TLS needs both --admin-tls-cert and --admin-tls-key');
  }
  if (config.adminTlsCa !== '' && config.adminTlsCert === '') {
    throw configError('--admin-tls-ca requires TLS: set --admin-tls-cert and --admin-tls-key too');
  }
  // Cluster mode needs both: Redis holds the registry and sessions, NATS carries the fan-out.
  if ((config.redis === '') !== (config.nats === '')) {
    const [given, missing] = config.redis === '' ? (['nats', 'redis'] as const) : (['redis', 'nats'] as const);
    throw configError(
      `${sourceOf(given)} is set but --${missing} is not: cluster mode needs both --redis and --nats (neither runs the embedded single node)`,
    );
  }
}
