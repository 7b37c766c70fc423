import { DEFAULT_LIMITS } from '@flockmq/broker';
import { loadConfig, startHelp, SETTINGS, type ConfigSources, type ServerConfig } from '../src/config';

/** Loads with a fixed host name and an in-memory file system. */
function load(sources: ConfigSources & { files?: Record<string, string> } = {}): ServerConfig {
  const files = sources.files ?? {};
  return loadConfig({
    hostname: () => 'node-a',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    ...sources,
  });
}

/** The FlockError a load throws. */
function loadError(sources: Parameters<typeof load>[0]): { code: string; message: string } {
  try {
    load(sources);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected loadConfig to throw');
}

const json = (value: unknown): string => JSON.stringify(value);

describe('config - defaults', () => {
  test('config - defaults with nothing set', () => {
    expect(load()).toEqual({
      nodeId: 'node-a',
      host: '0.0.0.0',
      port: 1883,
      wsPort: 8083,
      wsPath: '/mqtt',
      tlsPort: 'off',
      wssPort: 'off',
      tlsCert: '',
      tlsKey: '',
      tlsCa: '',
      logLevel: 'info',
      redis: '',
      nats: '',
      httpPort: 9090,
      adminPort: 9091,
      adminHost: '127.0.0.1',
      adminToken: '',
      adminTlsCert: '',
      adminTlsKey: '',
      adminTlsCa: '',
      drainRate: 500,
      drainTimeout: 30,
      drainServerReference: '',
      sysInterval: 10,
      rebalance: true,
      rebalanceThreshold: 10,
      rebalanceMinExcess: 50,
      rebalanceRate: 50,
      rebalanceInterval: 10,
      limits: { ...DEFAULT_LIMITS },
    });
  });

  test('config - every BrokerLimits field is a setting', () => {
    const limitKeys = SETTINGS.filter((s) => s.group === 'limits').map((s) => s.key);
    expect(limitKeys.sort()).toEqual(Object.keys(DEFAULT_LIMITS).sort());
  });

  test('config - flag and environment names are derived from the keys', () => {
    const names = Object.fromEntries(SETTINGS.map((s) => [s.key, [s.flag, s.env]]));
    expect(names.port).toEqual(['port', 'FLOCKMQ_PORT']);
    expect(names.wsPort).toEqual(['ws-port', 'FLOCKMQ_WS_PORT']);
    expect(names.nodeId).toEqual(['node-id', 'FLOCKMQ_NODE_ID']);
    expect(names.maxQoS).toEqual(['max-qos', 'FLOCKMQ_MAX_QOS']);
    expect(names.maxClientIdLength).toEqual(['max-client-id-length', 'FLOCKMQ_MAX_CLIENT_ID_LENGTH']);
    for (const flag of [
      'host',
      'port',
      'ws-port',
      'ws-path',
      'node-id',
      'log-level',
      'max-packet-size',
      'receive-maximum',
      'max-inflight',
      'max-queued-messages',
      'queue-drop-policy',
      'max-keep-alive',
      'max-qos',
      'retain-available',
      'topic-alias-maximum',
      'max-session-expiry-interval',
      'max-topic-levels',
      'max-subscriptions-per-session',
      'max-connections',
      'max-client-id-length',
      'wildcard-subscription-available',
      'shared-subscription-available',
      'subscription-identifiers-available',
    ]) {
      expect(SETTINGS.map((s) => s.flag)).toContain(flag);
    }
  });
});

describe('config - sources', () => {
  const files = { 'flock.json': json({ port: 1000, wsPath: '/file', limits: { maxQoS: 1, maxInflight: 10 } }) };

  test('config - the config file overrides defaults', () => {
    const config = load({ argv: ['--config', 'flock.json'], files });
    expect(config.port).toBe(1000);
    expect(config.wsPath).toBe('/file');
    expect(config.limits.maxQoS).toBe(1);
    expect(config.limits.maxInflight).toBe(10);
    expect(config.limits.maxPacketSize).toBe(DEFAULT_LIMITS.maxPacketSize);
  });

  test('config - FLOCKMQ_CONFIG names the config file', () => {
    expect(load({ env: { FLOCKMQ_CONFIG: 'flock.json' }, files }).port).toBe(1000);
  });

  test('config - --config wins over FLOCKMQ_CONFIG', () => {
    const both = { ...files, 'other.json': json({ port: 7 }) };
    expect(load({ argv: ['--config', 'other.json'], env: { FLOCKMQ_CONFIG: 'flock.json' }, files: both }).port).toBe(7);
  });

  test('config - the environment overrides the config file', () => {
    const config = load({
      argv: ['--config', 'flock.json'],
      env: { FLOCKMQ_PORT: '2000', FLOCKMQ_MAX_QOS: '0' },
      files,
    });
    expect(config.port).toBe(2000);
    expect(config.limits.maxQoS).toBe(0);
    expect(config.wsPath).toBe('/file');
    expect(config.limits.maxInflight).toBe(10);
  });

  test('config - flags override the environment', () => {
    const config = load({
      argv: ['--config', 'flock.json', '--port', '3000', '--max-qos=2'],
      env: { FLOCKMQ_PORT: '2000', FLOCKMQ_MAX_QOS: '0', FLOCKMQ_HOST: '127.0.0.1' },
      files,
    });
    expect(config.port).toBe(3000);
    expect(config.limits.maxQoS).toBe(2);
    expect(config.host).toBe('127.0.0.1');
  });

  test('config - the last of a repeated flag wins', () => {
    expect(load({ argv: ['--port', '1', '--port=2'] }).port).toBe(2);
  });

  test('config - boolean flags: bare, --no- and explicit', () => {
    expect(load({ argv: ['--no-retain-available'] }).limits.retainAvailable).toBe(false);
    expect(load({ argv: ['--no-retain-available', '--retain-available'] }).limits.retainAvailable).toBe(true);
    expect(load({ argv: ['--retain-available=false'] }).limits.retainAvailable).toBe(false);
    expect(load({ env: { FLOCKMQ_RETAIN_AVAILABLE: '0' } }).limits.retainAvailable).toBe(false);
    expect(
      load({ files: { 'f.json': json({ limits: { retainAvailable: false } }) }, argv: ['--config', 'f.json'] }).limits
        .retainAvailable,
    ).toBe(false);
  });

  test('config - every setting can be set from each source', () => {
    for (const setting of SETTINGS) {
      const type = setting.spec.type;
      const [text, value]: [string, unknown] =
        type.kind === 'integer'
          ? [String(type.min), type.min]
          : type.kind === 'port'
            ? ['4321', 4321]
            : type.kind === 'choice'
              ? [type.choices[type.choices.length - 1] ?? '', type.choices[type.choices.length - 1]]
              : type.kind === 'boolean'
                ? ['false', false]
                : setting.key === 'wsPath'
                  ? ['/x', '/x']
                  : setting.key === 'redis'
                    ? ['redis://h:1', 'redis://h:1']
                    : setting.key === 'nats'
                      ? ['nats://a:1,nats://b:2', 'nats://a:1,nats://b:2']
                      : setting.key === 'adminToken'
                        ? ['0123456789abcdef', '0123456789abcdef']
                        : ['x1', 'x1'];
      const get = (c: ServerConfig): unknown =>
        setting.group === 'limits'
          ? (c.limits as unknown as Record<string, unknown>)[setting.key]
          : (c as unknown as Record<string, unknown>)[setting.key];
      const file = setting.group === 'limits' ? { limits: { [setting.key]: value } } : { [setting.key]: value };
      // Cluster mode takes both endpoints: each is given with its partner from the command line.
      // So do admin TLS files: a certificate with its key, a CA with both.
      const partners: Record<string, string[]> = {
        redis: ['--nats', 'nats://n:1'],
        nats: ['--redis', 'redis://r:1'],
        adminTlsCert: ['--admin-tls-key', 'k.pem'],
        adminTlsKey: ['--admin-tls-cert', 'c.pem'],
        adminTlsCa: ['--admin-tls-cert', 'c.pem', '--admin-tls-key', 'k.pem'],
        tlsPort: ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'],
        wssPort: ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'],
        tlsCert: ['--tls-key', 'k.pem'],
        tlsKey: ['--tls-cert', 'c.pem'],
        tlsCa: ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'],
      };
      const partner = partners[setting.key] ?? [];
      const ws = [...(setting.key === 'port' ? ['--ws-port', 'off'] : []), ...partner];
      expect([setting.flag, get(load({ argv: [`--${setting.flag}=${text}`, ...ws] }))]).toEqual([setting.flag, value]);
      expect([setting.env, get(load({ env: { [setting.env]: text }, argv: ws }))]).toEqual([setting.env, value]);
      expect([
        setting.path,
        get(load({ argv: ['--config', 'f.json', ...ws], files: { 'f.json': json(file) } })),
      ]).toEqual([setting.path, value]);
    }
  });

  test('config - the WebSocket listener is turned off with "off" from any source', () => {
    expect(load({ argv: ['--ws-port', 'off'] }).wsPort).toBe('off');
    expect(load({ env: { FLOCKMQ_WS_PORT: 'OFF' } }).wsPort).toBe('off');
    expect(load({ argv: ['--config', 'f.json'], files: { 'f.json': json({ wsPort: 'off' }) } }).wsPort).toBe('off');
  });

  test('config - Redis without NATS (or NATS without Redis) is refused, naming the missing one', () => {
    const noNats = loadError({ argv: ['--redis', 'redis://r:6379'] });
    expect(noNats.code).toBe('FLOCK_ERR_CONFIG_INVALID');
    expect(noNats.message).toMatch(/--redis is set but --nats is not/);
    const noRedis = loadError({ env: { FLOCKMQ_NATS: 'nats://n:4222' } });
    expect(noRedis.message).toMatch(/FLOCKMQ_NATS is set but --redis is not/);
    const neither = load({});
    expect([neither.redis, neither.nats]).toEqual(['', '']);
  });

  test('config - cluster endpoints: every Redis form and a NATS server list are accepted, a bad one is named', () => {
    for (const url of [
      'redis://r:6379',
      'rediss://u:p@r:6380/0',
      'redis-sentinel://s1:26379,s2:26379/mymaster',
      'redis-cluster://c1:7000,c2:7001',
    ]) {
      expect(load({ argv: ['--redis', url, '--nats', 'nats://n:4222'] }).redis).toBe(url);
    }
    expect(
      load({ argv: ['--redis', 'redis://r:6379'], env: { FLOCKMQ_NATS: 'nats://n1:4222,tls://n2:4222' } }).nats,
    ).toBe('nats://n1:4222,tls://n2:4222');
    const error = loadError({ argv: ['--nats', 'n1:4222'] });
    expect(error.code).toBe('FLOCK_ERR_CONFIG_INVALID');
    expect(error.message).toContain('--nats');
  });

  test('config - port 0 for both listeners is allowed', () => {
    const config = load({ argv: ['--port', '0', '--ws-port', '0'] });
    expect([config.port, config.wsPort]).toEqual([0, 0]);
  });

  test('config - an unknown FLOCKMQ_ variable is a warning, not an error', () => {
    const warnings: string[] = [];
    const config = load({
      env: { FLOCKMQ_PROT: '1', FLOCKMQ_PORT: '5', OTHER: 'x' },
      onWarning: (w) => warnings.push(w),
    });
    expect(config.port).toBe(5);
    expect(warnings).toEqual(['FLOCKMQ_PROT is not a FlockMQ setting and is ignored (did you mean FLOCKMQ_PORT?)']);
  });
});

describe('config - validation', () => {
  const invalid = (sources: Parameters<typeof load>[0], message: string) => {
    const error = loadError(sources);
    expect(error.code).toBe('FLOCK_ERR_CONFIG_INVALID');
    expect(error.message).toBe(message);
  };

  test('config - a flag value that is not a port', () => {
    invalid({ argv: ['--port', 'abc'] }, '--port: "abc" is not a port number (expected 0-65535)');
  });

  test('config - a port out of range', () => {
    invalid({ argv: ['--ws-port', '70000'] }, '--ws-port: 70000 is out of range (expected 0-65535 or off)');
  });

  test('config - an environment value out of range', () => {
    invalid({ env: { FLOCKMQ_MAX_QOS: '3' } }, 'FLOCKMQ_MAX_QOS: 3 is out of range (expected 0, 1 or 2)');
  });

  test('config - an empty environment value', () => {
    invalid({ env: { FLOCKMQ_PORT: '' } }, 'FLOCKMQ_PORT: "" is not a port number (expected 0-65535)');
  });

  test('config - not a whole number', () => {
    invalid(
      { argv: ['--max-packet-size', '1.5'] },
      '--max-packet-size: "1.5" is not a whole number (expected 64-268435460)',
    );
  });

  test('config - [MQTT-3.1.3-5] client ids of 23 bytes must stay allowed', () => {
    invalid(
      { argv: ['--max-client-id-length', '22'] },
      '--max-client-id-length: 22 is out of range (expected 23-65535)',
    );
  });

  test('config - an unknown flag suggests the closest', () => {
    invalid({ argv: ['--prot', '1883'] }, 'unknown option --prot (did you mean --port?)');
    invalid({ argv: ['--max-packet=5'] }, 'unknown option --max-packet (did you mean --max-packet-size?)');
    invalid({ argv: ['--zzzzzzzz'] }, 'unknown option --zzzzzzzz');
  });

  test('config - --no- only exists for boolean settings', () => {
    invalid({ argv: ['--no-port'] }, 'unknown option --no-port (--port is not a true/false option)');
  });

  test('config - a single-dash option is unknown', () => {
    invalid({ argv: ['-p', '1883'] }, 'unknown option -p');
  });

  test('config - a flag without its value', () => {
    invalid({ argv: ['--port'] }, '--port: missing value (expected 0-65535)');
    invalid({ argv: ['--host', '--port', '1'] }, '--host: missing value (expected an IP address or host name)');
    invalid({ argv: ['--config'] }, '--config: missing value (expected a path)');
  });

  test('config - a positional argument', () => {
    invalid({ argv: ['1883'] }, 'unexpected argument "1883" (options start with --, see --help)');
  });

  test('config - a boolean that is not true or false', () => {
    invalid(
      { env: { FLOCKMQ_RETAIN_AVAILABLE: 'yes' } },
      'FLOCKMQ_RETAIN_AVAILABLE: "yes" is not a boolean (expected true or false)',
    );
    invalid(
      { argv: ['--retain-available=maybe'] },
      '--retain-available: "maybe" is not a boolean (expected true or false)',
    );
  });

  test('config - a choice that is not one of the choices', () => {
    invalid(
      { argv: ['--queue-drop-policy', 'drop-old'] },
      '--queue-drop-policy: "drop-old" is not valid (expected drop-oldest or drop-new)',
    );
    invalid(
      { env: { FLOCKMQ_LOG_LEVEL: 'verbose' } },
      'FLOCKMQ_LOG_LEVEL: "verbose" is not valid (expected fatal, error, warn, info, debug, trace or silent)',
    );
  });

  test('config - a WebSocket path must start with /', () => {
    invalid({ argv: ['--ws-path', 'mqtt'] }, '--ws-path: "mqtt" is not valid (expected a path starting with /)');
  });

  test('config - a node id with invalid characters', () => {
    invalid(
      { argv: ['--node-id', 'a b'] },
      `--node-id: "a b" is not valid (expected 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit)`,
    );
  });

  test('config - an invalid host name as default node id names --node-id', () => {
    const error = loadError({ hostname: () => 'bad host' });
    expect(error.code).toBe('FLOCK_ERR_CONFIG_INVALID');
    expect(error.message).toMatch(
      /^default of --node-id \(the host name\): "bad host" is not valid .*; set --node-id$/,
    );
  });

  test('config - the same port for TCP and WebSocket', () => {
    invalid(
      { env: { FLOCKMQ_WS_PORT: '1883' } },
      'FLOCKMQ_WS_PORT: 1883 is also the MQTT/TCP port (default of --port); choose another port or off',
    );
  });

  test('config - a missing config file names the option that gave it', () => {
    invalid({ argv: ['--config', 'nope.json'] }, '--config: cannot read config file "nope.json" (no such file)');
    invalid(
      { env: { FLOCKMQ_CONFIG: 'nope.json' } },
      'FLOCKMQ_CONFIG: cannot read config file "nope.json" (no such file)',
    );
  });

  test('config - a config file that is not JSON', () => {
    const error = loadError({ argv: ['--config', 'f.json'], files: { 'f.json': '{ port: 1 }' } });
    expect(error.code).toBe('FLOCK_ERR_CONFIG_INVALID');
    expect(error.message).toMatch(/^f\.json: not valid JSON \(.+\)$/);
  });

  test('config - a config file that is not an object', () => {
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': '[1]' } },
      'f.json: expected a JSON object such as {"port": 1883}',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ limits: 5 }) } },
      'f.json: limits: expected an object such as {"maxQoS": 1}',
    );
  });

  test('config - an unknown key in the config file suggests the closest', () => {
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ prot: 1 }) } },
      'f.json: unknown key "prot" (did you mean "port"?)',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ limits: { maxQos: 1 } }) } },
      'f.json: unknown key "limits.maxQos" (did you mean "limits.maxQoS"?)',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ 'max-qos': 1 }) } },
      'f.json: unknown key "max-qos"',
    );
  });

  test('config - a config file value of the wrong JSON type names the key', () => {
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ port: '1883' }) } },
      'f.json: port: "1883" is a string, not a number (expected 0-65535)',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ limits: { retainAvailable: 'no' } }) } },
      'f.json: limits.retainAvailable: "no" is a string, not a boolean (expected true or false)',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ limits: { maxQoS: 3 } }) } },
      'f.json: limits.maxQoS: 3 is out of range (expected 0, 1 or 2)',
    );
    invalid(
      { argv: ['--config', 'f.json'], files: { 'f.json': json({ host: null }) } },
      'f.json: host: null is null, not a string (expected an IP address or host name)',
    );
  });

  test('config - every setting rejects a bad value from each source, naming it', () => {
    for (const setting of SETTINGS) {
      const type = setting.spec.type;
      const badText =
        type.kind === 'integer' || type.kind === 'port'
          ? 'x'
          : type.kind === 'boolean'
            ? 'maybe'
            : type.kind === 'choice'
              ? 'nope'
              : ' ';
      const badJson = type.kind === 'boolean' || type.kind === 'integer' || type.kind === 'port' ? 'x' : 5;
      const file = setting.group === 'limits' ? { limits: { [setting.key]: badJson } } : { [setting.key]: badJson };
      const cases: [Parameters<typeof load>[0], string][] = [
        [{ argv: [`--${setting.flag}=${badText}`] }, `--${setting.flag}: `],
        [{ env: { [setting.env]: badText } }, `${setting.env}: `],
        [{ argv: ['--config', 'f.json'], files: { 'f.json': json(file) } }, `f.json: ${setting.path}: `],
      ];
      for (const [sources, prefix] of cases) {
        const error = loadError(sources);
        expect([prefix, error.code]).toEqual([prefix, 'FLOCK_ERR_CONFIG_INVALID']);
        expect(error.message.startsWith(prefix) ? prefix : error.message).toBe(prefix);
      }
      if (type.kind === 'integer') {
        const error = loadError({ argv: [`--${setting.flag}`, String(type.max + 1)] });
        expect(error.message).toBe(
          `--${setting.flag}: ${type.max + 1} is out of range (expected ${type.max - type.min <= 2 ? '0, 1 or 2' : `${type.min}-${type.max}`})`,
        );
      }
    }
  });
});

describe('config - help', () => {
  const help = startHelp();

  test('config - help lists every option with its default', () => {
    for (const setting of SETTINGS) {
      const line = help
        .split('\n')
        .find(
          (l) => l.startsWith('  --') && (l.includes(`--${setting.flag} `) || l.includes(`--[no-]${setting.flag} `)),
        );
      expect([setting.flag, line !== undefined]).toEqual([setting.flag, true]);
      const shown = setting.spec.defaultHelp ?? String(setting.spec.default);
      expect(line).toContain(`[default: ${shown}]`);
      expect(line).toContain(setting.spec.help);
    }
    expect(help).toContain('--config <path>');
    // An empty default is explained rather than shown as nothing.
    expect(help).not.toContain('[default: ]');
  });

  test('config - help explains the environment names and precedence', () => {
    expect(help).toContain('(--max-packet-size → FLOCKMQ_MAX_PACKET_SIZE)');
    expect(help).toContain('Flags override the environment, which overrides the file.');
    expect(help).toContain('--max-qos <0|1|2>');
    expect(help).toContain('--ws-port <port|off>');
    expect(help).toContain('--[no-]retain-available');
    expect(help).toContain('drop-oldest or drop-new');
  });
});

describe('config - operations settings', () => {
  test('config - the metrics and admin ports must differ from the MQTT ports and from each other', () => {
    expect(loadError({ argv: ['--http-port', '1883'] }).message).toMatch(/--http-port: 1883 is also an MQTT port/);
    expect(loadError({ argv: ['--admin-port', '8083'] }).message).toMatch(/--admin-port: 8083 is also an MQTT port/);
    expect(loadError({ argv: ['--admin-port', '9090'] }).message).toMatch(/also the HTTP \(metrics\) port/);
    expect(load({ argv: ['--http-port', 'off', '--admin-port', 'off'] })).toMatchObject({
      httpPort: 'off',
      adminPort: 'off',
    });
  });

  test('config - admin TLS needs a certificate and its key; a short token is refused', () => {
    expect(loadError({ argv: ['--admin-tls-cert', 'c.pem'] }).message).toMatch(
      /needs both --admin-tls-cert and --admin-tls-key/,
    );
    expect(loadError({ argv: ['--admin-tls-ca', 'ca.pem'] }).message).toMatch(/--admin-tls-ca requires TLS/);
    const short = loadError({ env: { FLOCKMQ_ADMIN_TOKEN: 'short-secret' } }).message;
    expect(short).toMatch(/at least 16 characters/);
    expect(short).not.toContain('short-secret'); // a secret is never repeated back
  });
});
