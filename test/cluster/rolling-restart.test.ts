/**
 * G5 end to end: a rolling restart of a 3-node flock — each node SIGTERMed (it drains: clients
 * told 0x8B at a bounded rate, sessions written, node leaves) and started again in turn — under
 * a QoS 1 load to persistent sessions loses no acknowledged message. Clients reconnect to the
 * other nodes as they would through a load balancer (MQTT.js cycles through its server list).
 */
import mqtt from 'mqtt';
import { waitFor, type Flock } from '@flockmq/testkit';
import { startBackends, startFlock, type Backends } from './harness';

const SUBSCRIBERS = 6;
const PUBLISHERS = 3;
/** Bounds of the load: it stops by itself whatever happens. */
const MAX_MESSAGES_PER_PUBLISHER = 20_000;
const MAX_LOAD_MS = 120_000;

let backends: Backends;
let flock: Flock;
const open: mqtt.MqttClient[] = [];

beforeAll(async () => {
  backends = await startBackends('single');
  flock = await startFlock(backends, 3, `rolling-${process.pid}`);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(open.map((client) => client.endAsync(true)));
  await flock?.close();
  await backends?.close();
});

/** A client that reconnects to the next node of the flock when its node goes away. */
function flockClient(options: mqtt.IClientOptions, first: number): mqtt.MqttClient {
  const servers = flock.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  const rotated = [...servers.slice(first), ...servers.slice(0, first)];
  const client = mqtt.connect({
    servers: rotated,
    protocolVersion: 5,
    reconnectPeriod: 100,
    connectTimeout: 5_000,
    keepalive: 0,
    ...options,
  });
  client.on('error', () => undefined);
  open.push(client);
  return client;
}

test('G5: a rolling restart of all three nodes under a QoS 1 load to persistent sessions loses no acknowledged message', async () => {
  const run = `rr-${process.pid}`;
  const received = Array.from({ length: SUBSCRIBERS }, () => new Set<string>());
  const drainedWith: number[] = [];
  await Promise.all(
    received.map(async (got, i) => {
      const sub = flockClient(
        { clientId: `${run}-sub-${i}`, clean: false, properties: { sessionExpiryInterval: 600 } },
        i % 3,
      );
      sub.on('message', (_topic, payload) => got.add(payload.toString()));
      sub.on('disconnect', (packet) => drainedWith.push(packet.reasonCode ?? -1));
      await new Promise((resolve) => sub.once('connect', resolve));
      await sub.subscribeAsync(`${run}/t/${i}`, { qos: 1 });
    }),
  );

  // Every subscription is known on every node before the load starts: one probe through each node.
  const probes = flock.nodes.map((node, n) => flockClient({ clientId: `${run}-probe-${n}` }, n));
  await Promise.all(probes.map((p) => new Promise((resolve) => p.once('connect', resolve))));
  const probeIds = new Set<string>();
  await waitFor(
    async () => {
      for (const [n, probe] of probes.entries()) {
        for (let i = 0; i < SUBSCRIBERS; i++) {
          const id = `probe-${n}-${i}-${probeIds.size}`;
          await probe.publishAsync(`${run}/t/${i}`, id, { qos: 1 });
          probeIds.add(id);
        }
      }
      return received.every((got, i) =>
        flock.nodes.every((_, n) => [...got].some((m) => m.startsWith(`probe-${n}-${i}-`))),
      );
    },
    { timeoutMs: 20_000, what: 'every subscription to be routed from every node' },
  );
  await Promise.all(probes.map((p) => p.endAsync()));

  const acked = received.map(() => [] as string[]);

  let stop = false;
  const deadline = Date.now() + MAX_LOAD_MS;
  const publishers = Array.from({ length: PUBLISHERS }, async (_, p) => {
    const pub = flockClient({ clientId: `${run}-pub-${p}` }, p);
    await new Promise((resolve) => pub.once('connect', resolve));
    for (let n = 0; n < MAX_MESSAGES_PER_PUBLISHER && !stop && Date.now() < deadline; n++) {
      const target = n % SUBSCRIBERS;
      const id = `m-${p}-${n}`;
      try {
        await pub.publishAsync(`${run}/t/${target}`, id, { qos: 1 });
        acked[target]!.push(id);
      } catch {
        // Not acknowledged (the connection went away first): not counted.
      }
    }
  });
  const total = (): number => acked.reduce((sum, list) => sum + list.length, 0);

  for (const node of flock.nodes) {
    const before = total();
    await waitFor(() => total() >= before + 300, {
      timeoutMs: 30_000,
      what: `load flowing before ${node.nodeId} stops`,
    });
    const exit = await node.stop();
    expect([node.nodeId, exit?.code]).toEqual([node.nodeId, 0]);
    await node.restart();
  }
  const afterRestarts = total();
  await waitFor(() => total() >= afterRestarts + 300, { timeoutMs: 30_000, what: 'load flowing after the restarts' });
  stop = true;
  await Promise.all(publishers);

  for (const [i, got] of received.entries()) {
    await waitFor(() => acked[i]!.every((id) => got.has(id)), {
      timeoutMs: 30_000,
      what: `every acknowledged message at subscriber ${i} (missing ${acked[i]!.filter((id) => !got.has(id)).length} of ${acked[i]!.length})`,
    });
  }
  // The drains told the clients why: 0x8B Server shutting down.
  expect(drainedWith.length).toBeGreaterThanOrEqual(SUBSCRIBERS);
  expect(new Set(drainedWith)).toEqual(new Set([0x8b]));
}, 300_000);
