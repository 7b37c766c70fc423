/**
 * Every setting of a FlockMQ node, defined once. Flag names, environment variable names, config
 * file keys, help text and validation are all derived from this table:
 *
 *   key `maxPacketSize` (config file: "limits": { "maxPacketSize": … })
 *   → flag `--max-packet-size` → environment `FLOCKMQ_MAX_PACKET_SIZE`
 */
import { DEFAULT_LIMITS, type BrokerLimits } from '@flockmq/broker';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The WebSocket listener is disabled with `--ws-port off` (`FLOCKMQ_WS_PORT=off`, `"wsPort": "off"`). */
export const PORT_OFF = 'off';

export interface ServerConfig {
  /** Name of this node in the cluster and in every log line. Default: the host name. */
  nodeId: string;
  /** Address both MQTT listeners bind to. */
  host: string;
  /** MQTT over TCP; 0 binds any free port. */
  port: number;
  /** MQTT over WebSocket; 0 binds any free port, 'off' disables the listener. */
  wsPort: number | typeof PORT_OFF;
  /** HTTP path of the WebSocket endpoint; other paths answer 404. */
  wsPath: string;
  /** MQTT over TLS; 'off' (the default) disables it. Needs tlsCert and tlsKey. */
  tlsPort: number | typeof PORT_OFF;
  /** MQTT over secure WebSocket (same path); 'off' (the default) disables it. Needs tlsCert and tlsKey. */
  wssPort: number | typeof PORT_OFF;
  /** PEM files of the TLS listeners; tlsCa makes clients present a certificate it signed. */
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  logLevel: LogLevel;
  /** Redis URL for cluster mode ('' = embedded single node). */
  redis: string;
  /** NATS server URLs, comma-separated, for cluster mode ('' = embedded single node). */
  nats: string;
  /** HTTP port of /metrics, /healthz and /readyz; 'off' disables it. Binds `host`. */
  httpPort: number | typeof PORT_OFF;
  /** gRPC admin API port; 'off' disables it. */
  adminPort: number | typeof PORT_OFF;
  /** Address the admin API binds to (loopback unless opened on purpose). */
  adminHost: string;
  /** Bearer token every admin call must carry ('' = none: then keep adminHost on loopback). */
  adminToken: string;
  /** PEM files for TLS on the admin API ('' = plaintext); adminTlsCa requires client certificates. */
  adminTlsCert: string;
  adminTlsKey: string;
  adminTlsCa: string;
  /** Clients disconnected per second while draining. */
  drainRate: number;
  /** Seconds a drain (SIGTERM) may take before the process exits anyway. */
  drainTimeout: number;
  /** Server Reference sent with 0x9C Use another server when draining ('' = 0x8B Server shutting down). */
  drainServerReference: string;
  /** Seconds between `$SYS/brokers/<node>/…` updates (0 = none). */
  sysInterval: number;
  /** Cluster mode: move clients off a node holding more than its share. */
  rebalance: boolean;
  /** Percent over the flock's mean connection count at which a node sheds clients. */
  rebalanceThreshold: number;
  /** …and at least this many clients over the mean. */
  rebalanceMinExcess: number;
  /** Clients asked to move per second. */
  rebalanceRate: number;
  /** Seconds between load announcements and rebalancing decisions. */
  rebalanceInterval: number;
  limits: BrokerLimits;
}

/** The settings outside `limits`. */
export type ServerSettings = Omit<ServerConfig, 'limits'>;

/** How a setting's value is written and which values are valid. */
export type ValueType =
  | { readonly kind: 'integer'; readonly min: number; readonly max: number; readonly unit: string }
  | { readonly kind: 'port'; readonly off: boolean }
  | { readonly kind: 'choice'; readonly choices: readonly string[]; readonly unit: string }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string'; readonly pattern: RegExp; readonly expected: string; readonly unit: string };

/** What defaults may depend on; injected so tests are exact. */
export interface DefaultsContext {
  hostname: string;
}

export interface SettingSpec<T> {
  readonly type: ValueType;
  readonly default: T | ((context: DefaultsContext) => T);
  /** How the default reads in --help when it is computed. */
  readonly defaultHelp?: string;
  /** One line for --help. */
  readonly help: string;
}

const MAX_COUNT = 2_147_483_647;

const integer = (min: number, max: number, unit = 'n'): ValueType => ({ kind: 'integer', min, max, unit });

export const SERVER_SETTINGS: { readonly [K in keyof ServerSettings]: SettingSpec<ServerSettings[K]> } = {
  nodeId: {
    type: {
      kind: 'string',
      pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
      expected: "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
      unit: 'id',
    },
    default: (context) => context.hostname,
    defaultHelp: 'the host name',
    help: 'Name of this node in the cluster and in logs',
  },
  host: {
    type: { kind: 'string', pattern: /^[^\s/]+$/, expected: 'an IP address or host name', unit: 'address' },
    default: '0.0.0.0',
    help: 'Address the MQTT listeners bind to',
  },
  port: {
    type: { kind: 'port', off: false },
    default: 1883,
    help: 'MQTT over TCP port (0 = any free port)',
  },
  wsPort: {
    type: { kind: 'port', off: true },
    default: 8083,
    help: `MQTT over WebSocket port (0 = any free port, ${PORT_OFF} = no WebSocket listener)`,
  },
  wsPath: {
    type: { kind: 'string', pattern: /^\/[^\s?#]*$/, expected: 'a path starting with /', unit: 'path' },
    default: '/mqtt',
    help: 'HTTP path of the WebSocket endpoint',
  },
  tlsPort: {
    type: { kind: 'port', off: true },
    default: PORT_OFF,
    help: `MQTT over TLS port, usually 8883 (0 = any free port, ${PORT_OFF} = none; needs the TLS certificate and key)`,
  },
  wssPort: {
    type: { kind: 'port', off: true },
    default: PORT_OFF,
    help: `MQTT over secure WebSocket port, usually 8084 (0 = any free port, ${PORT_OFF} = none; needs the TLS certificate and key)`,
  },
  tlsCert: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none',
    help: 'PEM certificate (chain) of the TLS listeners',
  },
  tlsKey: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none',
    help: 'PEM private key of --tls-cert',
  },
  tlsCa: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none: no client certificates',
    help: 'PEM CA bundle: MQTT clients on the TLS listeners must present a certificate it signed',
  },
  logLevel: {
    type: { kind: 'choice', choices: LOG_LEVELS, unit: 'level' },
    default: 'info',
    help: 'Log level',
  },
  redis: {
    type: {
      kind: 'string',
      pattern: /^$|^(redis|rediss|redis-sentinel|redis-cluster):\/\/\S+$/,
      expected: 'a redis://, rediss://, redis-sentinel:// or redis-cluster:// URL',
      unit: 'url',
    },
    default: '',
    defaultHelp: 'none: embedded single node',
    help: 'Redis for cluster mode: redis://host:6379, redis-sentinel://h1:26379,h2:26379/master, redis-cluster://h1:7000,h2:7001',
  },
  nats: {
    type: {
      kind: 'string',
      pattern: /^$|^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/,
      expected: 'one or more nats:// URLs separated by commas',
      unit: 'urls',
    },
    default: '',
    defaultHelp: 'none: embedded single node',
    help: 'NATS servers for cluster mode, comma-separated: nats://h1:4222,nats://h2:4222',
  },
  httpPort: {
    type: { kind: 'port', off: true },
    default: 9090,
    help: `Port of /metrics (Prometheus), /healthz and /readyz (0 = any free port, ${PORT_OFF} = none)`,
  },
  adminPort: {
    type: { kind: 'port', off: true },
    default: 9091,
    help: `gRPC admin API port, used by flockmq ctl (0 = any free port, ${PORT_OFF} = none)`,
  },
  adminHost: {
    type: { kind: 'string', pattern: /^[^\s/]+$/, expected: 'an IP address or host name', unit: 'address' },
    default: '127.0.0.1',
    help: 'Address the admin API binds to (loopback unless you open it on purpose, with a token)',
  },
  adminToken: {
    type: { kind: 'string', pattern: /^$|^\S{16,}$/, expected: 'at least 16 characters without spaces', unit: 'token' },
    default: '',
    defaultHelp: 'none: no authentication',
    help: 'Bearer token admin calls must carry (set it with FLOCKMQ_ADMIN_TOKEN rather than a flag)',
  },
  adminTlsCert: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none: plaintext',
    help: 'PEM certificate for TLS on the admin API (with --admin-tls-key)',
  },
  adminTlsKey: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none',
    help: 'PEM private key of --admin-tls-cert',
  },
  adminTlsCa: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'a file path', unit: 'path' },
    default: '',
    defaultHelp: 'none: no client certificates',
    help: 'PEM CA bundle: admin clients must present a certificate it signed',
  },
  drainRate: {
    type: integer(1, 1_000_000, 'clients/s'),
    default: 500,
    help: 'Clients disconnected per second when draining (SIGTERM or flockmq ctl drain)',
  },
  drainTimeout: {
    type: integer(1, 86_400, 'seconds'),
    default: 30,
    help: 'Longest a drain may take on SIGTERM before the process exits anyway',
  },
  drainServerReference: {
    type: { kind: 'string', pattern: /^$|^\S+$/, expected: 'host:port or host names, no spaces', unit: 'reference' },
    default: '',
    defaultHelp: 'none: 0x8B Server shutting down',
    help: 'Send MQTT 5 clients 0x9C Use another server with this Server Reference when draining or rebalancing',
  },
  sysInterval: {
    type: integer(0, 86_400, 'seconds'),
    default: 10,
    help: 'Seconds between $SYS/brokers/<node>/... statistics updates (0 = none)',
  },
  rebalance: {
    type: { kind: 'boolean' },
    default: true,
    help: 'Cluster mode: ask clients to move (MQTT 5: 0x9C) off a node holding more than its share',
  },
  rebalanceThreshold: {
    type: integer(1, 1000, 'percent'),
    default: 10,
    help: 'Percent over the mean connection count of the flock at which a node sheds clients',
  },
  rebalanceMinExcess: {
    type: integer(1, MAX_COUNT, 'clients'),
    default: 50,
    help: 'Clients over the mean a node must hold before it sheds any',
  },
  rebalanceRate: {
    type: integer(1, 1_000_000, 'clients/s'),
    default: 50,
    help: 'Clients asked to move per second while rebalancing',
  },
  rebalanceInterval: {
    type: integer(1, 3600, 'seconds'),
    default: 10,
    help: 'Seconds between load announcements and rebalancing decisions',
  },
};

export const LIMIT_SETTINGS: { readonly [K in keyof BrokerLimits]: SettingSpec<BrokerLimits[K]> } = {
  maxPacketSize: {
    // 268,435,455 bytes of remaining length (the largest Variable Byte Integer) + 5 bytes of fixed header.
    type: integer(64, 268_435_460, 'bytes'),
    default: DEFAULT_LIMITS.maxPacketSize,
    help: 'Largest packet accepted from or sent to a client',
  },
  receiveMaximum: {
    type: integer(1, 65_535),
    default: DEFAULT_LIMITS.receiveMaximum,
    help: 'Unacknowledged QoS 1/2 publishes a client may send (Receive Maximum)',
  },
  maxInflight: {
    type: integer(1, 65_535),
    default: DEFAULT_LIMITS.maxInflight,
    help: 'Outbound in-flight window per session',
  },
  maxQueuedMessages: {
    type: integer(0, MAX_COUNT),
    default: DEFAULT_LIMITS.maxQueuedMessages,
    help: 'Messages queued per session beyond the in-flight window',
  },
  queueDropPolicy: {
    type: { kind: 'choice', choices: ['drop-oldest', 'drop-new'], unit: 'policy' },
    default: DEFAULT_LIMITS.queueDropPolicy,
    help: 'Which message goes when a session queue is full',
  },
  maxKeepAlive: {
    type: integer(0, 65_535, 'seconds'),
    default: DEFAULT_LIMITS.maxKeepAlive,
    help: 'Longest keep alive granted (0 = no limit)',
  },
  maxQoS: {
    type: integer(0, 2, 'qos'),
    default: DEFAULT_LIMITS.maxQoS,
    help: 'Highest QoS accepted for publishes (Maximum QoS)',
  },
  retainAvailable: {
    type: { kind: 'boolean' },
    default: DEFAULT_LIMITS.retainAvailable,
    help: 'Support retained messages',
  },
  topicAliasMaximum: {
    type: integer(0, 65_535),
    default: DEFAULT_LIMITS.topicAliasMaximum,
    help: 'Topic aliases a client may use towards the broker',
  },
  maxSessionExpiryInterval: {
    type: integer(0, 4_294_967_295, 'seconds'),
    default: DEFAULT_LIMITS.maxSessionExpiryInterval,
    help: 'Longest session expiry interval granted',
  },
  maxTopicLevels: {
    type: integer(1, 65_535),
    default: DEFAULT_LIMITS.maxTopicLevels,
    help: 'Topic levels allowed in a topic name or filter',
  },
  maxSubscriptionsPerSession: {
    type: integer(1, MAX_COUNT),
    default: DEFAULT_LIMITS.maxSubscriptionsPerSession,
    help: 'Subscriptions one session may hold',
  },
  maxConnections: {
    type: integer(0, MAX_COUNT),
    default: DEFAULT_LIMITS.maxConnections,
    help: 'Concurrent client connections on this node (0 = no limit)',
  },
  flapThreshold: {
    type: integer(0, MAX_COUNT),
    default: DEFAULT_LIMITS.flapThreshold,
    help: 'Takeovers of one client id within the flap window after which its CONNECTs are slowed down (0 = never)',
  },
  flapWindow: {
    type: integer(1, 86_400, 'seconds'),
    default: DEFAULT_LIMITS.flapWindow,
    help: 'Seconds over which takeovers of a client id are counted',
  },
  connectTimeout: {
    type: integer(1, 65_535, 'seconds'),
    default: DEFAULT_LIMITS.connectTimeout,
    help: 'Time a new connection has to send CONNECT',
  },
  maxClientIdLength: {
    // [MQTT-3.1.3-5] The Server MUST allow ClientIds which are between 1 and 23 UTF-8 encoded bytes.
    type: integer(23, 65_535, 'bytes'),
    default: DEFAULT_LIMITS.maxClientIdLength,
    help: 'Longest client identifier accepted',
  },
  wildcardSubscriptionAvailable: {
    type: { kind: 'boolean' },
    default: DEFAULT_LIMITS.wildcardSubscriptionAvailable,
    help: 'Support wildcard (+, #) subscriptions',
  },
  sharedSubscriptionAvailable: {
    type: { kind: 'boolean' },
    default: DEFAULT_LIMITS.sharedSubscriptionAvailable,
    help: 'Support shared ($share/…) subscriptions',
  },
  subscriptionIdentifiersAvailable: {
    type: { kind: 'boolean' },
    default: DEFAULT_LIMITS.subscriptionIdentifiersAvailable,
    help: 'Support subscription identifiers',
  },
};

/** One row of the table with its derived names. */
export interface Setting {
  /** Field name in ServerConfig or BrokerLimits. */
  readonly key: string;
  readonly group: 'server' | 'limits';
  /** Key path in the config file: `port`, `limits.maxQoS`. */
  readonly path: string;
  /** Without the leading dashes: `max-qos`. */
  readonly flag: string;
  /** `FLOCKMQ_MAX_QOS`. */
  readonly env: string;
  readonly spec: SettingSpec<unknown>;
}

export const ENV_PREFIX = 'FLOCKMQ_';

/** `maxQoS` → ['max', 'QoS']; `wsPort` → ['ws', 'Port']. "QoS" is one word. */
const words = (key: string): string[] => key.match(/QoS|[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])/g) ?? [key];

export const flagName = (key: string): string => words(key).join('-').toLowerCase();
export const envName = (flag: string): string => ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_');

const row = (group: Setting['group'], key: string, spec: SettingSpec<unknown>): Setting => {
  const flag = flagName(key);
  return { key, group, path: group === 'limits' ? `limits.${key}` : key, flag, env: envName(flag), spec };
};

export const SETTINGS: readonly Setting[] = [
  ...Object.entries(SERVER_SETTINGS).map(([key, spec]) => row('server', key, spec as SettingSpec<unknown>)),
  ...Object.entries(LIMIT_SETTINGS).map(([key, spec]) => row('limits', key, spec as SettingSpec<unknown>)),
];

/** The one option that is not a setting: where to read the config file from. */
export const CONFIG_OPTION = {
  flag: 'config',
  env: envName('config'),
  unit: 'path',
  help: 'JSON config file: {"port": 1883, "limits": {"maxQoS": 1}}',
} as const;

export const settingByFlag: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.flag, s]));
export const settingByEnv: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.env, s]));
export const settingByPath: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.path, s]));

export function defaultValue(setting: Setting, context: DefaultsContext): unknown {
  const value = setting.spec.default;
  return typeof value === 'function' ? (value as (c: DefaultsContext) => unknown)(context) : value;
}
