/**
 * "Scale replicas under load", on one machine with real processes, as a Deployment behind a
 * Service would do it: HAProxy in front (health-checking /readyz, leastconn), real Redis and
 * NATS, FlockMQ nodes started and stopped as the Deployment would.
 *
 * One node takes 2,000 persistent clients and a QoS 1 load; two nodes are added and rebalancing
 * spreads the connections (each node within 15% of the mean); one node is then drained away
 * (SIGTERM). No acknowledged message is lost and every client is connected again.
 */
import mqtt from 'mqtt';
import { FlockNode, freePorts, startHaproxy, waitFor, type HaproxyFixture } from '@flockmq/testkit';
import { flockArgs, startBackends, type Backends } from './harness';

const CLIENTS = 2000;
const REBALANCE_ARGS = [
  ...['--rebalance-interval', '1', '--rebalance-rate', '400'],
  ...['--rebalance-threshold', '10', '--rebalance-min-excess', '20'],
  ...['--drain-rate', '1000'],
];
/** The load stops by itself whatever happens. */
const MAX_LOAD_MS = 150_000;

let backends: Backends;
let lb: HaproxyFixture;
const nodes: FlockNode[] = [];
const clients: mqtt.MqttClient[] = [];

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.endAsync(true)));
  await lb?.close();
  await Promise.allSettled(nodes.map((node) => node.kill()));
  await backends?.close();
}, 60_000);

/** Connected clients per node, from each node's own metrics. */
async function liveSessions(running: FlockNode[]): Promise<number[]> {
  return Promise.all(
    running.map(async (node) => {
      const { body } = await node.http('/metrics');
      const line = body.split('\n').find((l) => l.startsWith('flockmq_sessions_live '));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    }),
  );
}

const withinOfMean = (counts: number[], fraction: number): boolean => {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return counts.every((n) => Math.abs(n - mean) <= fraction * mean);
};

test('scale: one node under load, two added and rebalanced to within 15% of the mean, one drained away — nothing acknowledged is lost, every client is back', async () => {
  backends = await startBackends('single');
  const ports = await freePorts(9);
  const portsOf = (i: number) => ({ mqtt: ports[i * 3]!, http: ports[i * 3 + 1]!, admin: ports[i * 3 + 2]! });
  const start = (i: number): Promise<FlockNode> =>
    FlockNode.start({
      nodeId: `scale-${process.pid}-${i + 1}`,
      redis: backends.redis,
      nats: backends.nats,
      ports: portsOf(i),
      args: [...flockArgs, ...REBALANCE_ARGS],
    });
  lb = await startHaproxy(
    [0, 1, 2].map((i) => ({ name: `n${i + 1}`, port: portsOf(i).mqtt, httpPort: portsOf(i).http })),
  );
  nodes.push(await start(0));

  // 2,000 persistent subscribers, each on its own topic, all through the load balancer.
  const run = `scale-${process.pid}`;
  const received = Array.from({ length: CLIENTS }, () => new Set<string>());
  for (let batch = 0; batch < CLIENTS; batch += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, CLIENTS - batch) }, async (_, k) => {
        const i = batch + k;
        const client = mqtt.connect(lb.url, {
          clientId: `${run}-c${i}`,
          protocolVersion: i % 4 === 0 ? 4 : 5, // a quarter on MQTT 3.1.1: they are closed, not told 0x9C
          clean: false,
          ...(i % 4 !== 0 && { properties: { sessionExpiryInterval: 600 } }),
          reconnectPeriod: 200,
          connectTimeout: 10_000,
          keepalive: 0,
        });
        client.on('error', () => undefined);
        client.on('message', (_topic, payload) => received[i]!.add(payload.toString()));
        clients.push(client);
        await new Promise((resolve) => client.once('connect', resolve));
        await client.subscribeAsync(`${run}/t/${i}`, { qos: 1 });
      }),
    );
  }

  const acked: string[][] = received.map(() => []);
  let stop = false;
  const deadline = Date.now() + MAX_LOAD_MS;
  const publisher = mqtt.connect(lb.url, { clientId: `${run}-pub`, reconnectPeriod: 200, keepalive: 0 });
  publisher.on('error', () => undefined);
  clients.push(publisher);
  await new Promise((resolve) => publisher.once('connect', resolve));
  const load = (async () => {
    for (let n = 0; !stop && Date.now() < deadline; n++) {
      const target = (n * 7919) % CLIENTS;
      try {
        await publisher.publishAsync(`${run}/t/${target}`, `m-${n}`, { qos: 1 });
        acked[target]!.push(`m-${n}`);
      } catch {
        // Not acknowledged: not counted.
      }
    }
  })();
  const total = (): number => acked.reduce((sum, list) => sum + list.length, 0);
  await waitFor(() => total() >= 200, { timeoutMs: 30_000, what: 'the load to flow on one node' });

  // Scale out: the Deployment adds two replicas; HAProxy sees them once their /readyz answers.
  nodes.push(...(await Promise.all([start(1), start(2)])));
  // Every client counted (none between two nodes) and every node within 15% of the mean.
  await waitFor(
    async () => {
      const counts = await liveSessions(nodes);
      return counts.reduce((a, b) => a + b, 0) === CLIENTS + 1 && withinOfMean(counts, 0.15);
    },
    { timeoutMs: 90_000, what: 'rebalancing to bring every node within 15% of the mean' },
  );

  const first = await nodes[0]!.http('/metrics');
  expect(first.body).toMatch(/^flockmq_cluster_rebalanced_clients_total [1-9]\d*$/m);

  // Scale in: one replica is removed, draining its clients to the others.
  const before = total();
  const removed = nodes.pop()!;
  expect((await removed.stop())?.code).toBe(0);
  await waitFor(() => total() >= before + 200, { timeoutMs: 30_000, what: 'the load to flow after the drain' });
  stop = true;
  await load;

  await waitFor(() => clients.every((client) => client.connected), {
    timeoutMs: 60_000,
    what: `every client connected again (${clients.filter((c) => !c.connected).length} not)`,
  });
  await waitFor(async () => (await liveSessions(nodes)).reduce((a, b) => a + b, 0) === CLIENTS + 1, {
    timeoutMs: 30_000,
    what: 'every client counted on the remaining nodes',
  });
  for (const [i, got] of received.entries()) {
    const missing = acked[i]!.filter((id) => !got.has(id));
    if (missing.length > 0) {
      await waitFor(() => acked[i]!.every((id) => got.has(id)), {
        timeoutMs: 30_000,
        what: `every acknowledged message at client ${i} (missing ${missing.length} of ${acked[i]!.length})`,
      });
    }
  }
  expect(total()).toBeGreaterThan(400);
}, 300_000);
