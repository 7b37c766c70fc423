import { once } from 'node:events';
import net from 'node:net';
import type { Logger } from '@flockmq/broker';
import mqtt, { type IDisconnectPacket, type MqttClient } from 'mqtt';
import { loadConfig, type ServerConfig } from '../src/config';
import { startServer, type FlockServer } from '../src/server';
import { occupyPort } from './helpers';

const host = '127.0.0.1';

interface Entry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that records what it is told. */
function recordingLogger(entries: Entry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: Entry[] } {
  const log = (level: string) => (obj: object, msg: string) =>
    entries.push({ level, msg, fields: { ...bindings, ...obj } });
  return {
    entries,
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
}

const config = (...argv: string[]): ServerConfig =>
  loadConfig({
    argv: [
      '--host',
      host,
      '--port',
      '0',
      '--ws-port',
      '0',
      '--http-port',
      '0',
      '--admin-port',
      '0',
      '--node-id',
      'test-node',
      ...argv,
    ],
  });

const servers: FlockServer[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.end(true);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(c: ServerConfig = config(), logger: Logger = recordingLogger()): Promise<FlockServer> {
  const server = await startServer(c, { logger, closeGraceMs: 500 });
  servers.push(server);
  return server;
}

async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  clients.push(client);
  return client;
}

/** A port that is free right now. */
async function freePort(): Promise<number> {
  const busy = await occupyPort(host);
  await busy.close();
  return busy.port;
}

test('server - MQTT over TCP and over WebSocket reach the same broker', async () => {
  const server = await start();
  expect(server.tcpPort).toBeGreaterThan(0);
  expect(server.wsPort).toBeGreaterThan(0);

  const subscriber = await connect(`mqtt://${host}:${server.tcpPort}`, { clientId: 'sub' });
  const publisher = await connect(`ws://${host}:${server.wsPort}/mqtt`, { clientId: 'pub' });
  await subscriber.subscribeAsync('flock/test', { qos: 1 });
  const received = new Promise<[string, Buffer]>((resolve) =>
    subscriber.once('message', (topic, payload) => resolve([topic, payload])),
  );
  await publisher.publishAsync('flock/test', 'hello', { qos: 1 });
  const [topic, payload] = await received;
  expect([topic, payload.toString()]).toEqual(['flock/test', 'hello']);
  expect(server.broker.connectionCount).toBe(2);
});

test('server - MQTT 3.1.1 clients connect over WebSocket too', async () => {
  const server = await start();
  const client = await connect(`ws://${host}:${server.wsPort}/mqtt`, { protocolVersion: 4 });
  expect(client.connected).toBe(true);
});

test('server - listening is logged with the addresses', async () => {
  const logger = recordingLogger();
  const server = await start(config(), logger);
  const listening = logger.entries.find((e) => e.msg === 'listening');
  expect(listening?.level).toBe('info');
  expect(listening?.fields).toMatchObject({
    tcp: `mqtt://${host}:${server.tcpPort}`,
    ws: `ws://${host}:${server.wsPort}/mqtt`,
  });
});

test('server - close() disconnects MQTT 5 clients with 0x8B and frees the ports', async () => {
  const server = await start();
  const client = await connect(`mqtt://${host}:${server.tcpPort}`);
  const disconnect = new Promise<IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
  await server.close();
  const packet = await disconnect;
  expect(packet.reasonCode).toBe(0x8b);
  await server.closed();

  const rebind = net.createServer().listen(server.tcpPort, host);
  await once(rebind, 'listening');
  await new Promise<void>((resolve) => rebind.close(() => resolve()));
});

test('server - close() is idempotent', async () => {
  const server = await start();
  const first = server.close();
  expect(server.close()).toBe(first);
  await first;
});

test('server - with --ws-port off only TCP listens', async () => {
  const server = await start(config('--ws-port', 'off', '--http-port', '0', '--admin-port', '0'));
  expect(server.wsPort).toBeNull();
  const client = await connect(`mqtt://${host}:${server.tcpPort}`);
  expect(client.connected).toBe(true);
});

test('server - a listener that cannot bind closes the ones already open', async () => {
  const tcpPort = await freePort();
  const busy = await occupyPort(host);
  try {
    const error = await startServer(
      config('--port', String(tcpPort), '--ws-port', String(busy.port), '--http-port', '0', '--admin-port', '0'),
      {
        logger: recordingLogger(),
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FLOCK_ERR_PORT_IN_USE',
      message: `port ${busy.port} is already in use (MQTT/WebSocket); choose another with --ws-port`,
    });
    // The TCP listener had bound tcpPort; it must be free again.
    const rebind = net.createServer().listen(tcpPort, host);
    await once(rebind, 'listening');
    await new Promise<void>((resolve) => rebind.close(() => resolve()));
  } finally {
    await busy.close();
  }
});
