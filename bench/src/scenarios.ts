/**
 * The scenarios: each connects its clients to a running peer, offers load, and measures the
 * broker (all of its processes) and the generator side by side.
 *
 * Placement across nodes: a publisher and the subscribers it feeds are on different nodes
 * whenever the peer has more than one, so every message crosses the cluster.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { QoS } from '@flockmq/protocol';
import { BenchClient, publishTemplate, type ClientOptions } from './client.ts';
import { ClosedLoop, OpenLoop, type Publisher } from './load.ts';
import {
  flockCounter,
  natsMessagesIn,
  ownCpuSeconds,
  redisCommands,
  redisStats,
  totalCpuSeconds,
  totalRssBytes,
} from './measure.ts';
import type { RunningPeer } from './peers.ts';
import type { Measurement, ScenarioName, Settings } from './settings.ts';

let runCounter = 0;

class Unsupported extends Error {}

/** Connects clients `concurrency` at a time (a connect storm is its own scenario). */
async function connectAll(options: ClientOptions[], concurrency = 128): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array<BenchClient>(options.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.length) {
      const index = next++;
      clients[index] = (await BenchClient.connect(options[index]!)).client;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, options.length) }, worker));
  } catch (error) {
    await closeAll(clients.filter(Boolean));
    throw error;
  }
  return clients;
}

async function closeAll(clients: BenchClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close(false)));
}

async function subscribeAll(clients: BenchClient[], filter: (i: number) => string, qos: QoS): Promise<void> {
  const codes = await Promise.all(clients.map((client, i) => client.subscribe(filter(i), qos)));
  const refused = codes.find((code) => code < 0 || code >= 0x80);
  if (refused !== undefined) {
    throw new Unsupported(`SUBSCRIBE ${filter(0)} answered ${refused < 0 ? 'nothing' : `0x${refused.toString(16)}`}`);
  }
}

/** Where clients go: `pub(i)` / `sub(i)` give node indexes; publishers and their subscribers differ when they can. */
function placement(nodes: number): {
  pub: (i: number) => number;
  sub: (i: number) => number;
  other: (i: number) => number;
} {
  return {
    pub: () => 0,
    sub: (i) => (nodes === 1 ? 0 : 1 + (i % (nodes - 1))),
    other: (i) => i % nodes,
  };
}

function clientOptions(peer: RunningPeer, node: number, clientId: string, settings: Settings): ClientOptions {
  const endpoint = peer.endpoints[node % peer.endpoints.length]!;
  return { host: endpoint.host, port: endpoint.port, clientId, protocol: settings.protocol, clean: true };
}

function payload(bytes: number): Buffer {
  return Buffer.alloc(Math.max(bytes, 8), 0x61);
}

/** Counters read at the edges of a window, turned into rates and costs. */
class Window {
  private readonly startedAt = performance.now();
  private readonly cpu0: number;
  private readonly ownCpu0 = ownCpuSeconds();
  private redis0: number | undefined;
  private nats0: number | undefined;

  private readonly peer: RunningPeer;
  private readonly delivered0: number;
  private readonly published0: number;

  private constructor(peer: RunningPeer, delivered0: number, published0: number) {
    this.peer = peer;
    this.delivered0 = delivered0;
    this.published0 = published0;
    this.cpu0 = totalCpuSeconds(peer.allPids);
  }

  static async open(peer: RunningPeer, delivered: number, published: number): Promise<Window> {
    const window = new Window(peer, delivered, published);
    window.redis0 = peer.redisPort !== undefined ? await redisCommands(peer.redisPort) : undefined;
    window.nats0 = peer.natsMonitorUrl !== undefined ? await natsMessagesIn(peer.natsMonitorUrl) : undefined;
    return window;
  }

  async close(delivered: number, published: number): Promise<Measurement> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const brokerCpu = totalCpuSeconds(this.peer.allPids) - this.cpu0;
    const ownCpu = ownCpuSeconds() - this.ownCpu0;
    const deliveredNow = delivered - this.delivered0;
    const publishedNow = published - this.published0;
    const redis1 = this.peer.redisPort !== undefined ? await redisCommands(this.peer.redisPort) : undefined;
    const nats1 = this.peer.natsMonitorUrl !== undefined ? await natsMessagesIn(this.peer.natsMonitorUrl) : undefined;
    const perPublish = (a: number | undefined, b: number | undefined): number | undefined =>
      a !== undefined && b !== undefined && publishedNow > 0 ? round((b - a) / publishedNow, 3) : undefined;
    return {
      throughput: Math.round(deliveredNow / seconds),
      publishRate: Math.round(publishedNow / seconds),
      delivered: deliveredNow,
      published: publishedNow,
      brokerCores: round(brokerCpu / seconds, 3),
      generatorCores: round(ownCpu / seconds, 3),
      ...(deliveredNow > 0 && { cpuMicrosPerMessage: round((brokerCpu * 1e6) / deliveredNow, 3) }),
      ...(perPublish(this.redis0, redis1) !== undefined && {
        redisCommandsPerPublish: perPublish(this.redis0, redis1),
      }),
      ...(perPublish(this.nats0, nats1) !== undefined && { natsMessagesPerPublish: perPublish(this.nats0, nats1) }),
      brokerRssMB: round(totalRssBytes(this.peer.nodePids) / 2 ** 20, 1),
    };
  }
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

async function redisCounters(peer: RunningPeer): Promise<{ commands: number; memory: number } | undefined> {
  return peer.redisPort === undefined ? undefined : redisStats(peer.redisPort);
}

async function deliveredCounter(peer: RunningPeer): Promise<number | undefined> {
  return peer.metricsUrls ? flockCounter(peer.metricsUrls, 'flockmq_messages_delivered_total') : undefined;
}

/** Waits until a condition holds or nothing has changed for `quietMs` (bounded by `maxMs`). */
async function settle(progress: () => number, done: () => boolean, quietMs = 1000, maxMs = 10_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = progress();
  let lastChange = Date.now();
  while (!done() && Date.now() < deadline && Date.now() - lastChange < quietMs) {
    await sleep(50);
    const now = progress();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
}

interface Topology {
  subscribers: { node: number; filter: string }[];
  publishers: { node: number; topic: string }[];
  fanOut: number;
}

function topology(scenario: ScenarioName, nodes: number, settings: Settings): Topology {
  const place = placement(nodes);
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  switch (scenario) {
    case 'fan-in':
      return {
        subscribers: [{ node: 0, filter: 'bench/fanin/+' }],
        publishers: range(settings.fanInPublishers).map((i) => ({ node: place.sub(i), topic: `bench/fanin/${i}` })),
        fanOut: 1,
      };
    case 'fan-out':
      return {
        subscribers: range(settings.fanOutSubscribers).map((i) => ({ node: place.sub(i), filter: 'bench/fanout' })),
        publishers: [{ node: 0, topic: 'bench/fanout' }],
        fanOut: settings.fanOutSubscribers,
      };
    case 'pairwise':
      return {
        subscribers: range(settings.pairs).map((i) => ({ node: (i + 1) % nodes, filter: `bench/pair/${i}` })),
        publishers: range(settings.pairs).map((i) => ({ node: place.other(i), topic: `bench/pair/${i}` })),
        fanOut: 1,
      };
    case 'shared':
      return {
        subscribers: range(settings.sharedMembers).map((i) => ({
          node: place.sub(i),
          filter: '$share/bench/bench/shared',
        })),
        publishers: [{ node: 0, topic: 'bench/shared' }],
        fanOut: 1,
      };
    default:
      throw new Error(`${scenario} is not a throughput scenario`);
  }
}

/** fan-in, fan-out, pairwise, shared: closed-loop throughput. */
async function throughput(scenario: ScenarioName, peer: RunningPeer, settings: Settings): Promise<Measurement> {
  const run = ++runCounter;
  const shape = topology(scenario, peer.endpoints.length, settings);
  const subscribers = await connectAll(
    shape.subscribers.map((s, i) => clientOptions(peer, s.node, `bench-${run}-s${i}`, settings)),
  );
  const publisherClients = await connectAll(
    shape.publishers.map((p, i) => clientOptions(peer, p.node, `bench-${run}-p${i}`, settings)),
  ).catch(async (error: unknown) => {
    await closeAll(subscribers);
    throw error;
  });
  try {
    await subscribeAll(subscribers, (i) => shape.subscribers[i]!.filter, settings.qos);
    await waitForRoutes(peer, shape, publisherClients, subscribers, settings);
    const body = payload(settings.payloadBytes);
    const publishers: Publisher[] = publisherClients.map((client, i) => ({
      client,
      template: publishTemplate(shape.publishers[i]!.topic, body, settings.qos, settings.protocol),
    }));
    const load = new ClosedLoop({
      publishers,
      subscribers,
      fanOut: shape.fanOut,
      budget: settings.budget,
      window: settings.window,
      batch: settings.batch,
    });
    const brokerDelivered0 = await deliveredCounter(peer);
    const received0 = load.received();
    load.start();
    await sleep(settings.warmupMs);
    const window = await Window.open(peer, load.received(), load.published);
    await sleep(settings.durationMs);
    const measured = await window.close(load.received(), load.published);
    const lostBefore = load.lost;
    load.stop();
    await settle(
      () => load.received(),
      () => load.outstanding() <= 0,
    );
    const brokerDelivered1 = await deliveredCounter(peer);
    if (measured.delivered === 0) throw new Unsupported('no message was delivered');
    return {
      ...measured,
      lost: lostBefore,
      ...(brokerDelivered0 !== undefined &&
        brokerDelivered1 !== undefined && {
          check: {
            brokerDelivered: brokerDelivered1 - brokerDelivered0,
            generatorReceived: load.received() - received0,
          },
        }),
    };
  } finally {
    await closeAll([...subscribers, ...publisherClients]);
  }
}

/**
 * Subscriptions reach other nodes asynchronously (route replication); the load starts once a
 * probe message from each publisher's node reaches a subscriber on each subscriber node.
 */
async function waitForRoutes(
  peer: RunningPeer,
  shape: Topology,
  publishers: BenchClient[],
  subscribers: BenchClient[],
  settings: Settings,
): Promise<void> {
  if (peer.endpoints.length === 1) return;
  const probe = publishTemplate(shape.publishers[0]!.topic, payload(8), 0, settings.protocol);
  const deadline = Date.now() + 15_000;
  const before = subscribers.reduce((sum, s) => sum + s.received, 0);
  while (Date.now() < deadline) {
    publishers[0]!.sendCopies(probe, 1);
    await sleep(100);
    if (subscribers.reduce((sum, s) => sum + s.received, 0) > before) {
      // Probes are not part of the measurement; let the rest arrive, then reset the counts.
      await sleep(300);
      for (const subscriber of subscribers) subscriber.received = 0;
      publishers[0]!.sent = 0;
      return;
    }
  }
  // Either the broker cannot route this (e.g. no shared subscriptions) or its nodes never agreed.
  throw new Unsupported('no message was delivered: the subscriptions did not reach the publishers’ node within 15 s');
}

/** Open-loop QoS 1 at a fixed rate; latency percentiles. */
async function latency(peer: RunningPeer, settings: Settings): Promise<Measurement> {
  const run = ++runCounter;
  const nodes = peer.endpoints.length;
  const [subscriber, publisher] = await connectAll([
    clientOptions(peer, nodes > 1 ? 1 : 0, `bench-${run}-lat-s`, settings),
    clientOptions(peer, 0, `bench-${run}-lat-p`, settings),
  ]);
  try {
    await subscribeAll([subscriber!], () => 'bench/latency', 1);
    await waitForRoutes(
      peer,
      {
        subscribers: [{ node: 1, filter: 'bench/latency' }],
        publishers: [{ node: 0, topic: 'bench/latency' }],
        fanOut: 1,
      },
      [publisher!],
      [subscriber!],
      settings,
    );
    const load = new OpenLoop({
      publisher: {
        client: publisher!,
        template: publishTemplate('bench/latency', payload(settings.payloadBytes), 1, settings.protocol),
      },
      subscriber: subscriber!,
      rate: settings.latencyRate,
    });
    load.start();
    await sleep(settings.warmupMs);
    load.recording = true;
    const window = await Window.open(peer, subscriber!.received, load.sent);
    await sleep(settings.durationMs);
    const measured = await window.close(subscriber!.received, load.sent);
    load.recording = false;
    load.stop();
    return { ...measured, latency: load.summary() };
  } finally {
    await closeAll([subscriber!, publisher!]);
  }
}

/** K idle connections from several source addresses: setup rate and broker memory per connection. */
async function connections(peer: RunningPeer, settings: Settings): Promise<Measurement> {
  const run = ++runCounter;
  const nodes = peer.endpoints.length;
  await sleep(1000);
  const rss0 = totalRssBytes(peer.nodePids);
  const redis0 = await redisCounters(peer);
  const cpu0 = totalCpuSeconds(peer.allPids);
  const ownCpu0 = ownCpuSeconds();
  const startedAt = performance.now();
  const options = Array.from({ length: settings.connections }, (_, i) => ({
    ...clientOptions(peer, i % nodes, `bench-${run}-c${i}`, settings),
    // 127.0.0.2 … 127.0.0.9: about 2,400 source ports each for 19,000 connections.
    localAddress: `127.0.0.${2 + (i % 8)}`,
  }));
  const clients: BenchClient[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.length) {
      const index = next++;
      try {
        clients.push((await BenchClient.connect(options[index]!)).client);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = totalCpuSeconds(peer.allPids) - cpu0;
  const ownCpu = ownCpuSeconds() - ownCpu0;
  try {
    // Memory settles once the connect storm's garbage is collected.
    await sleep(3000);
    const rss1 = totalRssBytes(peer.nodePids);
    const redis1 = await redisCounters(peer);
    // Then one subscription each (its own filter): what a subscription and its routes cost.
    await subscribeAll(clients, (i) => `bench/idle/${i}`, 0);
    await sleep(3000);
    const rss2 = totalRssBytes(peer.nodePids);
    const redis2 = await redisCounters(peer);
    const per = (a: number | undefined, b: number | undefined): number | undefined =>
      a !== undefined && b !== undefined && clients.length > 0 ? round((b - a) / clients.length, 2) : undefined;
    return {
      brokerCores: round(cpu / seconds, 3),
      generatorCores: round(ownCpu / seconds, 3),
      brokerRssMB: round(rss1 / 2 ** 20, 1),
      connections: {
        count: clients.length,
        setupPerSecond: Math.round(clients.length / seconds),
        rssBytesPerConnection: clients.length > 0 ? Math.round((rss1 - rss0) / clients.length) : 0,
        rssBytesPerSubscription: clients.length > 0 ? Math.round((rss2 - rss1) / clients.length) : 0,
        failed,
        redisCommandsPerConnect: per(redis0?.commands, redis1?.commands),
        redisCommandsPerSubscribe: per(redis1?.commands, redis2?.commands),
        redisBytesPerConnection: per(redis0?.memory, redis1?.memory),
        redisBytesPerSubscription: per(redis1?.memory, redis2?.memory),
      },
      ...(clients.length > 0 && { cpuMicrosPerMessage: round((cpu * 1e6) / clients.length, 1) }),
    };
  } finally {
    await closeAll(clients);
  }
}

/** QoS 1 to offline persistent sessions, then every session resumes (on another node in a cluster). */
async function persistent(peer: RunningPeer, settings: Settings): Promise<Measurement> {
  const run = ++runCounter;
  const place = placement(peer.endpoints.length);
  const sessions = settings.persistentSessions;
  const each = settings.persistentMessagesEach;
  const sessionOptions = (i: number, node: number): ClientOptions => ({
    ...clientOptions(peer, node, `bench-${run}-ps${i}`, settings),
    clean: false,
    sessionExpiry: 3600,
  });
  const first = await connectAll(Array.from({ length: sessions }, (_, i) => sessionOptions(i, place.sub(i))));
  await subscribeAll(first, (i) => `bench/persist/${i}`, 1).catch(async (error: unknown) => {
    await closeAll(first);
    throw error;
  });
  await Promise.all(first.map((client) => client.close(true)));
  const [publisherClient] = await connectAll([clientOptions(peer, 0, `bench-${run}-pp`, settings)]);
  const body = payload(settings.payloadBytes);
  const load = new ClosedLoop({
    publishers: Array.from({ length: sessions }, (_, i) => ({
      client: publisherClient!,
      template: publishTemplate(`bench/persist/${i}`, body, 1, settings.protocol),
    })),
    subscribers: [],
    fanOut: 0,
    budget: 0,
    window: settings.window,
    batch: 1,
    limit: sessions * each,
  });
  let resumed: BenchClient[] = [];
  try {
    const window = await Window.open(peer, 0, 0);
    const publishStarted = performance.now();
    load.start();
    await settle(
      () => publisherClient!.acknowledged,
      () => publisherClient!.acknowledged >= sessions * each,
      5000,
      120_000,
    );
    load.stop();
    const publishSeconds = (performance.now() - publishStarted) / 1000;
    const resumeStarted = performance.now();
    // Every session resumes on the publisher's node: in a cluster, a session moving across nodes.
    const connected = await Promise.all(
      Array.from({ length: sessions }, (_, i) => BenchClient.connect(sessionOptions(i, place.pub(i)))),
    );
    resumed = connected.map((c) => c.client);
    const received = (): number => resumed.reduce((sum, c) => sum + c.received, 0);
    await settle(received, () => received() >= sessions * each, 5000, 120_000);
    const resumeSeconds = (performance.now() - resumeStarted) / 1000;
    const measured = await window.close(received(), load.published);
    return {
      ...measured,
      persistent: {
        sessions,
        messages: sessions * each,
        offlinePublishPerSecond: Math.round(publisherClient!.acknowledged / publishSeconds),
        resumeDeliveredPerSecond: Math.round(received() / resumeSeconds),
        received: received(),
        missing: Math.max(0, sessions * each - received()),
        sessionsPresent: connected.filter((c) => c.sessionPresent).length,
      },
    };
  } finally {
    await closeAll([...resumed, publisherClient!]);
  }
}

/** Many retained messages, then a storm of subscribers each receiving all of them. */
async function retained(peer: RunningPeer, settings: Settings): Promise<Measurement> {
  const run = ++runCounter;
  const place = placement(peer.endpoints.length);
  const topics = settings.retainedTopics;
  const [publisherClient] = await connectAll([clientOptions(peer, 0, `bench-${run}-rp`, settings)]);
  const body = payload(settings.payloadBytes);
  const load = new ClosedLoop({
    publishers: Array.from({ length: topics }, (_, i) => ({
      client: publisherClient!,
      template: publishTemplate(`bench/retained/${i}`, body, 1, settings.protocol, true),
    })),
    subscribers: [],
    fanOut: 0,
    budget: 0,
    window: settings.window,
    batch: 1,
    limit: topics,
  });
  let subscribers: BenchClient[] = [];
  try {
    const storeStarted = performance.now();
    load.start();
    await settle(
      () => publisherClient!.acknowledged,
      () => publisherClient!.acknowledged >= topics,
      5000,
      120_000,
    );
    load.stop();
    const storeSeconds = (performance.now() - storeStarted) / 1000;
    // Retained messages reach the other nodes' stores asynchronously in some brokers: a probe
    // subscriber on each subscriber node sees them all before the storm starts.
    subscribers = await connectAll(
      Array.from({ length: settings.retainedSubscribers }, (_, i) =>
        clientOptions(peer, place.sub(i), `bench-${run}-rs${i}`, settings),
      ),
    );
    const window = await Window.open(peer, 0, 0);
    const stormStarted = performance.now();
    await subscribeAll(subscribers, () => 'bench/retained/#', 0);
    const received = (): number => subscribers.reduce((sum, c) => sum + c.received, 0);
    const expected = topics * subscribers.length;
    await settle(received, () => received() >= expected, 5000, 120_000);
    const stormSeconds = (performance.now() - stormStarted) / 1000;
    const measured = await window.close(received(), 0);
    return {
      ...measured,
      retained: {
        topics,
        subscribers: subscribers.length,
        storePerSecond: Math.round(publisherClient!.acknowledged / storeSeconds),
        deliveredPerSecond: Math.round(received() / stormSeconds),
        missing: Math.max(0, expected - received()),
      },
    };
  } finally {
    await closeAll([...subscribers, publisherClient!]);
  }
}

/** Runs one scenario against a running peer. Unsupported features come back as `unsupported`. */
export async function runScenario(scenario: ScenarioName, peer: RunningPeer, settings: Settings): Promise<Measurement> {
  try {
    switch (scenario) {
      case 'fan-in':
      case 'fan-out':
      case 'pairwise':
      case 'shared':
        return await throughput(scenario, peer, settings);
      case 'latency':
        return await latency(peer, settings);
      case 'connections':
        return await connections(peer, settings);
      case 'persistent':
        return await persistent(peer, settings);
      case 'retained':
        return await retained(peer, settings);
    }
  } catch (error) {
    if (error instanceof Unsupported) {
      return { unsupported: error.message, brokerCores: 0, generatorCores: 0, brokerRssMB: 0 };
    }
    throw error;
  }
}
