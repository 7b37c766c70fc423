/**
 * Cluster mode while Redis or NATS is away: a node started before its backends waits for them
 * (one log line, not a flood), and a flock whose NATS or Redis restarts delivers across nodes
 * again once they are back.
 */
import { FlockNode, startNats, startRedis, waitFor, type NatsFixture, type RedisFixture } from '@flockmq/testkit';
import type { MqttClient } from 'mqtt';
import { Clients, record, waitForRoute } from './harness';

let redis: RedisFixture;
let nats: NatsFixture;
const nodes: FlockNode[] = [];
const clients = new Clients();
let seq = 0;
const unique = (name: string): string => `${name}-${process.pid}-${++seq}`;

beforeEach(async () => {
  [redis, nats] = await Promise.all([startRedis(), startNats()]);
});

afterEach(async () => {
  await clients.closeAll();
  await Promise.allSettled(nodes.splice(0).map((node) => node.kill()));
  await Promise.allSettled([redis.close(), nats.close()]);
});

async function node(id: string, readyLine?: RegExp, args?: string[]): Promise<FlockNode> {
  const started = await FlockNode.start({
    nodeId: `${id}-${process.pid}`,
    redis: redis.url,
    nats: nats.url,
    ...(readyLine && { readyLine }),
    ...(args && { args }),
  });
  nodes.push(started);
  return started;
}

/** Two nodes, a subscriber on b and a publisher on a, with b's route known to a. */
async function routedPair(prefix: string): Promise<{ b: FlockNode; sub: MqttClient; pub: MqttClient; t: string }> {
  const [a, b] = await Promise.all([node(`${prefix}a`), node(`${prefix}b`)]);
  const t = unique(prefix);
  const sub = await clients.connect(b);
  await sub.subscribeAsync(`${t}/#`, { qos: 1 });
  const pub = await clients.connect(a);
  await waitForRoute(sub, `${t}/probe`, [pub]);
  return { b, sub, pub, t };
}

const count = (lines: string[], msg: string): number => lines.filter((l) => l.includes(`"msg":"${msg}"`)).length;

test('cluster outage - a node started before Redis says so in one line, then serves once Redis is up', async () => {
  await redis.stop();
  const a = await node('early', /"msg":"redis_unreachable"/);
  const listening = a.waitForLine(/"msg":"listening"/);
  await redis.restart();
  await listening;
  // ioredis retried several times meanwhile; the operator saw one line about it.
  expect(count(a.output(), 'redis_unreachable')).toBe(1);
  expect(count(a.output(), 'redis_reachable')).toBe(1);

  const t = unique('early');
  const sub = await clients.connect(a);
  const got = record(sub);
  await sub.subscribeAsync(`${t}/#`, { qos: 1 });
  const pub = await clients.connect(a);
  await pub.publishAsync(`${t}/x`, 'hello', { qos: 1 });
  await waitFor(() => got.length === 1, { what: 'the message on the node that waited for Redis' });
  expect(got[0]).toMatchObject({ topic: `${t}/x`, payload: 'hello' });
}, 60_000);

test('cluster outage - a node started before NATS says so in one line, then joins the flock', async () => {
  await nats.stop();
  const a = await node('waiting', /"msg":"nats_unreachable"/);
  const listening = a.waitForLine(/"msg":"listening"/);
  await nats.restart();
  await listening;
  expect(count(a.output(), 'nats_unreachable')).toBe(1);

  const b = await node('peer');
  const t = unique('joined');
  const sub = await clients.connect(b);
  await sub.subscribeAsync(`${t}/#`, { qos: 1 });
  await waitForRoute(sub, `${t}/probe`, [await clients.connect(a)], 'a route from the late node to its peer');
}, 60_000);

test('cluster outage - after NATS restarts, messages cross nodes again', async () => {
  const { sub, pub, t } = await routedPair('n');

  await nats.kill();
  await nats.restart();
  // Both nodes reconnect by themselves; the route heals without anyone subscribing again.
  await waitForRoute(sub, `${t}/probe`, [pub], 'cross-node delivery after the NATS restart');
}, 60_000);

test('cluster outage - after Redis restarts empty, nodes write their routes again and keep routing', async () => {
  const { b, sub, t } = await routedPair('r');

  const restored = b.waitForLine(/"msg":"routes_restored"/);
  await redis.kill(); // no persistence: it comes back empty
  await redis.restart();
  await restored;
  // A node that joins now learns b's route from the registry alone.
  const c = await node('rc');
  await waitForRoute(
    sub,
    `${t}/probe`,
    [await clients.connect(c)],
    'delivery from a node that joined after the restart',
  );
}, 60_000);

test('cluster - G2: a client id flapping between two nodes is slowed down, and still resumes its session', async () => {
  const args = ['--flap-threshold', '2'];
  const [a, b] = await Promise.all([node('fa', undefined, args), node('fb', undefined, args)]);
  const clientId = unique('flapper');
  const options = { clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
  const slowed = [a, b].map((n) => n.waitForLine(new RegExp(`"clientId":"${clientId}".*"msg":"takeover_slowed_down"`)));
  const first = await clients.connect(a, options);
  await first.subscribeAsync(`${clientId}/#`, { qos: 1 });
  let last = first;
  for (let hop = 1; hop <= 6; hop++) last = await clients.connect(hop % 2 === 1 ? b : a, options);
  // Each node took the session over three times: more than the threshold of 2 within the window.
  await Promise.all(slowed);
  // The session (its subscription) came along every hop.
  const got = record(last);
  const pub = await clients.connect(b);
  await pub.publishAsync(`${clientId}/x`, 'still here', { qos: 1 });
  await waitFor(() => got.length === 1, { what: 'the message at the last connection' });
}, 60_000);
