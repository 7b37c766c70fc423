/**
 * The operations surface of one node over real sockets: /metrics, /healthz, /readyz, the `$SYS`
 * topics and the drain (G5), with MQTT.js clients.
 */
import mqtt, { type IDisconnectPacket, type MqttClient } from 'mqtt';
import { silentLogger } from '@flockmq/broker';
import { waitFor } from '@flockmq/testkit';
import { loadConfig } from '../src/config';
import { METRICS } from '../src/metrics/catalog';
import { startServer, type FlockServer } from '../src/server';

const host = '127.0.0.1';
const servers: FlockServer[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.end(true);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(...argv: string[]): Promise<FlockServer> {
  const config = loadConfig({
    argv: [
      ...['--host', host, '--port', '0', '--ws-port', 'off', '--http-port', '0', '--admin-port', 'off'],
      ...['--node-id', 'ops-node', '--sys-interval', '0', ...argv],
    ],
  });
  const server = await startServer(config, { logger: silentLogger, closeGraceMs: 500 });
  servers.push(server);
  return server;
}

async function connect(server: FlockServer, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://${host}:${server.tcpPort}`, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    keepalive: 0,
    ...options,
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function get(server: FlockServer, path: string): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://${host}:${server.httpPort}${path}`);
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}

/** The value of one series in Prometheus text, e.g. sample(text, 'flockmq_x_total', { qos: '1' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const braces = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!braces) continue;
    const found = Object.fromEntries([...(braces[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(braces[2]);
  }
  return undefined;
}

describe('operations port', () => {
  test('ops - /healthz and /readyz answer 200 on a running node; other paths 404', async () => {
    const server = await start();
    expect(await get(server, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(server, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
    const missing = await get(server, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/metrics');
  });

  test('ops - /metrics lists every metric of the catalog, in Prometheus text format', async () => {
    const server = await start();
    const { status, body, type } = await get(server, '/metrics');
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    for (const spec of Object.values(METRICS)) expect(body).toContain(`# TYPE ${spec.name} ${spec.type}`);
    expect(body).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(body, 'flockmq_node_info', { node_id: 'ops-node' })).toBe(1);
    expect(sample(body, 'flockmq_node_ready')).toBe(1);
  });

  test('ops - metrics count connections, CONNACKs, packets and messages by their labels, never by client id or topic', async () => {
    const server = await start();
    const sub = await connect(server, { clientId: 'metrics-sub-7f3a' });
    await sub.subscribeAsync('metrics/topic-91c2', { qos: 1 });
    const got = new Promise((resolve) => sub.once('message', resolve));
    const pub = await connect(server, { clientId: 'metrics-pub-4b1e', protocolVersion: 4 });
    await pub.publishAsync('metrics/topic-91c2', 'hello', { qos: 1 });
    await got;
    await pub.endAsync();
    await waitFor(() => server.broker.connectionCount === 1, { what: 'the publisher to be gone' });

    const { body } = await get(server, '/metrics');
    expect(sample(body, 'flockmq_connections_current', { listener: 'tcp', protocol: '5.0' })).toBe(1);
    expect(sample(body, 'flockmq_connections_opened_total', { listener: 'tcp' })).toBe(2);
    expect(
      sample(body, 'flockmq_connections_closed_total', {
        listener: 'tcp',
        protocol: '3.1.1',
        initiator: 'client',
        reason: '0x00',
      }),
    ).toBe(1);
    expect(sample(body, 'flockmq_connections_connack_total', { protocol: '5.0', reason: '0x00' })).toBe(1);
    expect(sample(body, 'flockmq_connections_connack_total', { protocol: '3.1.1', reason: '0x00' })).toBe(1);
    expect(sample(body, 'flockmq_auth_attempts_total', { result: 'none' })).toBe(2);
    expect(sample(body, 'flockmq_packets_received_total', { type: 'publish' })).toBe(1);
    expect(sample(body, 'flockmq_packets_received_total', { type: 'subscribe' })).toBe(1);
    expect(sample(body, 'flockmq_packets_sent_total', { type: 'publish' })).toBe(1);
    expect(sample(body, 'flockmq_packets_sent_total', { type: 'puback' })).toBe(1);
    expect(sample(body, 'flockmq_messages_published_total', { qos: '1' })).toBe(1);
    expect(sample(body, 'flockmq_messages_delivered_total', { qos: '1' })).toBe(1);
    expect(sample(body, 'flockmq_delivery_latency_seconds_count')).toBe(1);
    expect(sample(body, 'flockmq_delivery_latency_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(sample(body, 'flockmq_subscriptions_current')).toBe(1);
    expect(sample(body, 'flockmq_sessions_live')).toBe(1);
    expect(sample(body, 'flockmq_network_received_bytes_total')).toBeGreaterThan(0);
    // PUBLISH 'metrics/topic-91c2' 'hello' QoS 1 from a 3.1.1 client: 2 + 2 + 18 + 2 + 5 bytes.
    expect(sample(body, 'flockmq_packets_received_bytes_total', { type: 'publish' })).toBe(29);
    expect(sample(body, 'flockmq_packets_sent_bytes_total', { type: 'connack' })).toBeGreaterThanOrEqual(4 + 5);
    // Bounded labels: no client id or topic anywhere.
    for (const secret of ['metrics-sub-7f3a', 'metrics-pub-4b1e', 'topic-91c2']) expect(body).not.toContain(secret);
  });

  test('ops - drops are counted by reason and QoS', async () => {
    const server = await start('--max-queued-messages', '1', '--queue-drop-policy', 'drop-new');
    const sub = await connect(server, {
      clientId: 'drop-sub',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await sub.subscribeAsync('drops/#', { qos: 1 });
    await sub.endAsync();
    const pub = await connect(server);
    for (let i = 0; i < 3; i++) await pub.publishAsync('drops/x', `m${i}`, { qos: 1 });
    await pub.publishAsync('drops/x', 'q0', { qos: 0 });
    const { body } = await get(server, '/metrics');
    expect(sample(body, 'flockmq_messages_dropped_total', { reason: 'queue_full', qos: '1' })).toBe(2);
    expect(sample(body, 'flockmq_messages_dropped_total', { reason: 'offline_qos0', qos: '0' })).toBe(1);
    expect(sample(body, 'flockmq_sessions_offline')).toBe(1);
  });
});

describe('$SYS topics', () => {
  test('sys - $SYS/brokers/<node>/… carry the statistics, retained, and are cleared when the node stops', async () => {
    const server = await start('--sys-interval', '1');
    const watcher = await connect(server);
    const seen = new Map<string, string>();
    watcher.on('message', (topic, payload) => seen.set(topic, payload.toString()));
    await watcher.subscribeAsync('$SYS/brokers/+/clients/connected', { qos: 0 });
    await watcher.subscribeAsync('$SYS/brokers/+/version', { qos: 0 });
    // Updated every second: a later value counts the watcher itself.
    await waitFor(() => seen.get('$SYS/brokers/ops-node/clients/connected') === '1', {
      what: 'the connected-clients count of this node',
    });
    expect(seen.get('$SYS/brokers/ops-node/version')).toMatch(/^flockmq \d+\.\d+\.\d+/);
    // The statistics are not counted as published traffic.
    expect(server.broker.stats.published).toBe(0);
    // Not matched by '#' [MQTT-4.7.2-1]: a client subscribed to everything does not get them.
    expect((await server.broker.retained.match('#')).some((m) => m.topic.startsWith('$SYS'))).toBe(false);
    expect((await server.broker.retained.get('$SYS/brokers/ops-node/uptime'))?.payload.toString()).toMatch(/^\d+$/);

    await server.shutdown();
    expect(await server.broker.retained.get('$SYS/brokers/ops-node/uptime')).toBeUndefined();
  });
});

describe('drain (G5)', () => {
  test('G5 - a drain disconnects every client with 0x8B at the configured rate, with readiness false meanwhile', async () => {
    const server = await start('--drain-rate', '20');
    const disconnects: { code: number | undefined; at: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const client = await connect(server, { clientId: `drain-${i}` });
      client.on('disconnect', (packet: IDisconnectPacket) =>
        disconnects.push({ code: packet.reasonCode, at: Date.now() }),
      );
    }
    const legacy = await connect(server, { clientId: 'drain-311', protocolVersion: 4 });
    const legacyClosed = new Promise<void>((resolve) => legacy.once('close', () => resolve()));

    const stopped = server.shutdown();
    expect(server.ready).toBe(false);
    const readyz = await get(server, '/readyz');
    expect(readyz).toMatchObject({ status: 503, body: 'not ready: draining\n' });
    const { body } = await get(server, '/metrics');
    expect(sample(body, 'flockmq_node_draining')).toBe(1);
    expect(sample(body, 'flockmq_node_drains_total', { trigger: 'api' })).toBe(1);
    await stopped;
    await legacyClosed;

    expect(disconnects.map((d) => d.code)).toEqual(new Array(10).fill(0x8b));
    // 11 connections at 20 per second, in slices of 2 every 100 ms: at least 400 ms from first to last.
    const spread = Math.max(...disconnects.map((d) => d.at)) - Math.min(...disconnects.map((d) => d.at));
    expect(spread).toBeGreaterThanOrEqual(350);
  });

  test('G5 - with a server reference, MQTT 5 clients are told 0x9C Use another server and where', async () => {
    const server = await start('--drain-server-reference', 'mqtt.example.com:1883');
    const client = await connect(server);
    const told = new Promise<IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
    await server.shutdown();
    const packet = await told;
    expect(packet.reasonCode).toBe(0x9c);
    expect(packet.properties?.serverReference).toBe('mqtt.example.com:1883');
  });

  test('G5 - a drain writes each persistent session it disconnects to the store, as offline (resumable elsewhere)', async () => {
    // One node and the embedded store: the session survives in the store object, as it would in Redis.
    const server = await start();
    const sub = await connect(server, { clientId: 'g5-sub', clean: false, properties: { sessionExpiryInterval: 600 } });
    await sub.subscribeAsync('g5/#', { qos: 1 });
    const drained = new Promise<void>((resolve) => sub.once('close', () => resolve()));
    const stopping = server.shutdown('api', { ratePerSecond: 1000 });
    await drained;
    await stopping;
    const state = await server.broker.sessions.load('g5-sub');
    expect(state?.subscriptions.map((s) => s.filter)).toEqual(['g5/#']);
    expect(state?.disconnectedAt).toEqual(expect.any(Number));
  });
});
