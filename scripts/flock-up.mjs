#!/usr/bin/env node
/**
 * A local flock for trying FlockMQ: Redis, NATS, N FlockMQ nodes (separate processes) and HAProxy
 * in front of them as the Service, all on this machine's loopback. Prints where to connect and
 * where the metrics are; Ctrl-C drains the nodes and stops everything.
 *
 *   pnpm flock:up                 3 nodes, the load balancer on 1883 (or a free port if taken)
 *   pnpm flock:up --nodes 5 --port 11883
 *
 * Needs `pnpm build` (pnpm flock:up runs it) and redis-server, nats-server and haproxy
 * (scripts/install-system-deps.sh installs them).
 */
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '3' }, port: { type: 'string', default: '1883' } },
});
const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 1 || count > 9) {
  console.error('flock:up: --nodes takes 1 to 9');
  process.exit(2);
}

let testkit;
try {
  testkit = require(join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));
} catch {
  console.error('flock:up: not built yet: run `pnpm build` first');
  process.exit(1);
}
const { FlockNode, freePort, freePorts, startHaproxy, startNats, startRedis } = testkit;

const portFree = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const stops = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nflock:up: draining the nodes and stopping everything…');
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const [redis, nats] = await Promise.all([startRedis({ backend: 'local' }), startNats({ backend: 'local' })]);
  stops.push(
    () => redis.close(),
    () => nats.close(),
  );
  const ports = await freePorts(count * 3);
  const portsOf = (i) => ({ mqtt: ports[i * 3], http: ports[i * 3 + 1], admin: ports[i * 3 + 2] });
  const wanted = Number(values.port);
  const lbPort = (await portFree(wanted)) ? wanted : await freePort();
  const lb = await startHaproxy(
    Array.from({ length: count }, (_, i) => ({
      name: `node-${i + 1}`,
      port: portsOf(i).mqtt,
      httpPort: portsOf(i).http,
    })),
    { port: lbPort },
  );
  stops.push(() => lb.close());
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      FlockNode.start({ nodeId: `node-${i + 1}`, redis: redis.url, nats: nats.url, ports: portsOf(i) }),
    ),
  );
  stops.push(() => Promise.all(nodes.map((node) => node.stop())));

  const lines = [
    '',
    `FlockMQ: a flock of ${count} node${count > 1 ? 's' : ''} is up.`,
    '',
    `  MQTT (through the load balancer)  mqtt://127.0.0.1:${lb.port}`,
    '',
    '  node      MQTT                    metrics                               admin API',
    ...nodes.map(
      (node, i) =>
        `  ${node.nodeId.padEnd(8)}  ${node.url.padEnd(22)}  http://127.0.0.1:${portsOf(i).http}/metrics`.padEnd(76) +
        node.adminAddress,
    ),
    '',
    `  Redis ${redis.url}   NATS ${nats.url}`,
    '',
    'Try:',
    `  mosquitto_sub -p ${lb.port} -V mqttv5 -t 'demo/#' -q 1 -v &`,
    `  mosquitto_pub -p ${lb.port} -V mqttv5 -t demo/hello -m hi -q 1`,
    `  pnpm exec flockmq ctl --server ${nodes[0].adminAddress} status`,
    `  curl -s http://127.0.0.1:${portsOf(0).http}/metrics | grep flockmq_connections_current`,
    '',
    'Ctrl-C drains the nodes and stops everything.',
  ];
  console.log(lines.join('\n'));
  // The fixtures do not hold the event loop open (tests exit without them): this does, until Ctrl-C.
  setInterval(() => undefined, 60_000);
} catch (error) {
  console.error(`flock:up: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
}
