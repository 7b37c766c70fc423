/**
 * The Redis and NATS fixtures against real servers: start, talk, kill, see clients lose the
 * server, restart on the same port, see clients come back.
 */
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import {
  FixtureError,
  ManagedProcess,
  dockerReachable,
  freePorts,
  pollUntil,
  redisCommand,
  startNats,
  startNatsCluster,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  waitFor,
  withTimeout,
} from '../src';

const cleanups: Array<() => unknown> = [];

/** Registers a clean-up that runs after the test, pass or fail (last registered runs first). */
function defer(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

function track<T extends { close(): Promise<unknown> }>(resource: T): T {
  defer(() => resource.close());
  return resource;
}

afterEach(async () => {
  const results = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    results.push(
      await Promise.resolve()
        .then(cleanup)
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
    );
  }
  const failure = results.find((result) => result !== undefined);
  if (failure) throw failure;
});

/** Resolves on the next `event` (unlike events.once, an 'error' in between does not reject). */
function nextEvent(emitter: EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

function redisClient(port: number, host = '127.0.0.1'): Redis {
  const redis = new Redis({
    host,
    port,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
    lazyConnect: true,
  });
  redis.on('error', () => undefined); // reconnect errors are expected while a server is down
  defer(() => redis.disconnect());
  return redis;
}

async function natsClient(servers: string | string[], name?: string): Promise<NatsConnection & { statuses: string[] }> {
  const nc = await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 20, reconnectJitter: 0 });
  defer(() => nc.close());
  const statuses: string[] = [];
  void (async () => {
    for await (const status of nc.status()) statuses.push(status.type);
  })();
  return Object.assign(nc, { statuses });
}

/** Subscribes and collects every message's payload as a string. */
function collect(nc: NatsConnection, subject: string): string[] {
  const received: string[] = [];
  nc.subscribe(subject, { callback: (error, msg) => received.push(error ? `error: ${error.message}` : msg.string()) });
  return received;
}

test('ports - freePorts hands out distinct ports that can be bound', async () => {
  const ports = await freePorts(20);
  expect(new Set(ports).size).toBe(20);
  for (const port of ports.slice(0, 3)) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('process - ready line, kill, restart, stop, and recent output', async () => {
  const child = new ManagedProcess({
    name: 'echo-child',
    command: process.execPath,
    args: ['-e', "console.log('hello'); console.error('child ready'); setInterval(() => {}, 1000)"],
    ready: { line: /child ready/ },
  });
  defer(() => child.kill());
  await child.start();
  expect(child.running).toBe(true);
  expect(child.recentOutput()).toEqual(expect.arrayContaining(['hello', 'child ready']));
  const firstPid = child.pid;
  await child.kill();
  expect(await child.exited).toMatchObject({ signal: 'SIGKILL' });
  expect(child.running).toBe(false);
  await child.restart();
  expect(child.running).toBe(true);
  expect(child.pid).not.toBe(firstPid);
  await child.stop();
  expect(await child.exited).toMatchObject({ signal: 'SIGTERM' });
});

test('process - a child that dies during start-up fails with its exit and output', async () => {
  const start = ManagedProcess.start({
    name: 'dying-child',
    command: process.execPath,
    args: ['-e', "console.error('boom: bad config'); process.exit(3)"],
    ready: { line: /never/ },
  });
  await expect(start).rejects.toMatchObject({ code: 'FLOCK_ERR_FIXTURE_START_FAILED' });
  await expect(start).rejects.toThrow(/exited with code 3[\s\S]*boom: bad config/);
});

test('redis - kill makes clients fail, restart on the same port lets them back in', async () => {
  const fixture = track(await startRedis());
  expect(fixture.url).toBe(`redis://${fixture.host}:${fixture.port}`);
  const redis = redisClient(fixture.port, fixture.host);
  await redis.connect();
  await redis.set('greeting', 'hello');
  expect(await redis.get('greeting')).toBe('hello');

  const lost = nextEvent(redis, 'close');
  await fixture.kill();
  expect(fixture.running).toBe(false);
  await withTimeout(lost, 5000, 'ioredis to lose the connection');
  await expect(redis.get('greeting')).rejects.toThrow();

  const back = nextEvent(redis, 'ready');
  await fixture.restart();
  await withTimeout(back, 10_000, 'ioredis to reconnect');
  expect(await redis.get('greeting')).toBeNull(); // no persistence: a restart starts empty
  await redis.set('greeting', 'again');
  expect(await redis.get('greeting')).toBe('again');
});

test('redis - a missing redis-server names the package to install', async () => {
  const start = startRedis({ binary: '/nonexistent/redis-server' });
  await expect(start).rejects.toBeInstanceOf(FixtureError);
  await expect(start).rejects.toMatchObject({ code: 'FLOCK_ERR_FIXTURE_BINARY_MISSING' });
  await expect(start).rejects.toThrow(/redis-server not found.*install the Debian package redis-server/);
});

test('redis - a port that cannot be bound fails with the server output', async () => {
  const blocker = createServer();
  defer(() => new Promise((resolve) => blocker.close(resolve)));
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  const taken = typeof address === 'object' && address ? address.port : 0;
  // The last --port wins: every attempt (with fresh free ports) still binds the taken one.
  const start = startRedis({ backend: 'local', args: ['--port', String(taken)] });
  await expect(start).rejects.toMatchObject({ code: 'FLOCK_ERR_FIXTURE_START_FAILED' });
  await expect(start).rejects.toThrow(/Address already in use/);
});

test('redis - forcing containers without a Docker engine fails with a clear error', async () => {
  if (await dockerReachable()) {
    const fixture = track(await startRedis({ backend: 'containers' }));
    expect(await redisCommand(fixture.host, fixture.port, ['PING'])).toBe('PONG');
    return;
  }
  await expect(startRedis({ backend: 'containers' })).rejects.toMatchObject({
    code: 'FLOCK_ERR_FIXTURE_NO_CONTAINER_RUNTIME',
  });
}, 60_000);

test('redis cluster - keys spread over 3 masters are readable through the cluster client', async () => {
  const cluster = track(await startRedisCluster({ masters: 3 }));
  expect(cluster.nodes).toHaveLength(3);
  expect(cluster.urls).toEqual(cluster.nodes.map((node) => `redis://127.0.0.1:${node.port}`));
  const client = new Cluster(cluster.startupNodes, { clusterRetryStrategy: () => 50 });
  client.on('error', () => undefined);
  defer(() => client.disconnect());
  const keys = Array.from({ length: 30 }, (_, i) => `key:${i}`);
  for (const key of keys) await client.set(key, `value of ${key}`);
  for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
  const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
  expect(slots.size).toBeGreaterThan(1);
  for (const node of cluster.nodes) {
    expect(await redisCommand(node.host, node.port, ['DBSIZE'])).toBeGreaterThan(0);
  }
});

test('redis cluster - a killed master comes back with its slots after restart', async () => {
  const cluster = track(await startRedisCluster({ masters: 3 }));
  const victim = cluster.nodes[2];
  if (!victim) throw new Error('no third node');
  await victim.kill();
  expect(victim.running).toBe(false);
  await victim.restart();
  await cluster.waitUntilHealthy();
  const client = new Cluster(cluster.startupNodes, { clusterRetryStrategy: () => 50 });
  client.on('error', () => undefined);
  defer(() => client.disconnect());
  const keys = Array.from({ length: 20 }, (_, i) => `after-restart:${i}`);
  for (const key of keys) await client.set(key, key);
  for (const key of keys) expect(await client.get(key)).toBe(key);
  expect(await redisCommand(victim.host, victim.port, ['DBSIZE'])).toBeGreaterThan(0);
});

test('redis sentinel - ioredis finds the master through the sentinel', async () => {
  const setup = track(await startRedisSentinel());
  expect(await setup.currentMaster()).toEqual({ host: '127.0.0.1', port: setup.master.port });
  const redis = new Redis({ sentinels: setup.sentinelAddresses, name: setup.masterName, lazyConnect: true });
  redis.on('error', () => undefined);
  defer(() => redis.disconnect());
  await redis.connect();
  await redis.set('via-sentinel', 'yes');
  expect(await redisCommand(setup.master.host, setup.master.port, ['GET', 'via-sentinel'])).toBe('yes');
});

test('redis sentinel - killing the master promotes the replica', async () => {
  const setup = track(await startRedisSentinel({ replicas: 1 }));
  const replica = setup.replicas[0];
  if (!replica) throw new Error('no replica');
  await setup.master.kill();
  await pollUntil(async () => (await setup.currentMaster())?.port === replica.port, {
    timeoutMs: 15_000,
    what: 'the sentinel to promote the replica',
  });
  const redis = new Redis({ sentinels: setup.sentinelAddresses, name: setup.masterName, lazyConnect: true });
  redis.on('error', () => undefined);
  defer(() => redis.disconnect());
  await redis.connect();
  await redis.set('after-failover', 'yes');
  expect(await redisCommand(replica.host, replica.port, ['GET', 'after-failover'])).toBe('yes');
});

test('nats - kill makes the client disconnect, restart on the same port lets it reconnect', async () => {
  const fixture = track(await startNats());
  expect(fixture.url).toBe(`nats://${fixture.host}:${fixture.port}`);
  const nc = await natsClient(fixture.url);
  const received = collect(nc, 'fixture.echo');
  nc.publish('fixture.echo', 'one');
  await waitFor(() => received.includes('one'), { timeoutMs: 5000, what: 'the first message' });

  await fixture.kill();
  await waitFor(() => nc.statuses.includes('disconnect'), { timeoutMs: 5000, what: 'the NATS client to disconnect' });
  await fixture.restart();
  await waitFor(() => nc.statuses.includes('reconnect'), { timeoutMs: 10_000, what: 'the NATS client to reconnect' });

  nc.publish('fixture.echo', 'two');
  await waitFor(() => received.includes('two'), { timeoutMs: 5000, what: 'a message after reconnecting' });
  expect(received).toEqual(['one', 'two']);
});

test('nats - the monitoring port counts messages per connection', async () => {
  const fixture = track(await startNats());
  const publisher = await natsClient(fixture.url, 'counting-publisher');
  for (let i = 0; i < 5; i += 1) publisher.publish('fixture.count', `${i}`);
  await publisher.flush();
  const connz = await fixture.monitor<{ connections: Array<{ name?: string; in_msgs: number }> }>('connz');
  expect(connz.connections.find((c) => c.name === 'counting-publisher')?.in_msgs).toBe(5);
  const varz = await fixture.monitor<{ in_msgs: number; port: number }>('varz');
  expect(varz).toMatchObject({ in_msgs: 5, port: fixture.port });
});

test('nats - a missing nats-server names the package to install', async () => {
  const start = startNats({ binary: '/nonexistent/nats-server' });
  await expect(start).rejects.toMatchObject({ code: 'FLOCK_ERR_FIXTURE_BINARY_MISSING' });
  await expect(start).rejects.toThrow(/nats-server not found.*install the Debian package nats-server/);
});

test('nats cluster - a message published on server 1 reaches a subscriber on server 3', async () => {
  const cluster = track(await startNatsCluster({ servers: 3 }));
  const [first, , third] = cluster.servers;
  if (!first || !third) throw new Error('cluster too small');
  const routez = await first.monitor<{ num_routes: number }>('routez');
  expect(routez.num_routes).toBeGreaterThanOrEqual(2);
  const subscriber = await natsClient(third.url);
  const publisher = await natsClient(first.url);
  const received = collect(subscriber, 'fixture.across');
  await subscriber.flush();
  // Interest travels over the route: wait until server 1 knows server 3 wants the subject.
  await cluster.waitForRoutedSubscription('fixture.across', [0]);
  publisher.publish('fixture.across', 'over the route');
  await waitFor(() => received.length > 0, { timeoutMs: 5000, what: 'the message to cross the cluster' });
  expect(received).toEqual(['over the route']);
});
