/**
 * The node's Prometheus registry. Counters the broker keeps on its hot paths (plain numbers in
 * BrokerStats and the bus's FrameStats) are read when Prometheus scrapes, so publishing costs no
 * metrics call; histograms of rare or slow operations (takeovers, Redis, NATS) are observed as
 * they happen.
 */
import { PACKET_TYPE_CODES } from '@flockmq/protocol';
import type { Broker, BucketHistogram, LabelledCounter } from '@flockmq/broker';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS, type MetricKey, type MetricSpec } from './catalog';
import type { OperationObserver } from './instrument';

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

/** What the metrics read besides the broker. */
export interface MetricSources {
  broker: Broker;
  version: string;
  startedAt: number;
  ready(): boolean;
  draining(): boolean;
  /** Drains started, by trigger ('signal' or 'admin'). */
  drains: LabelledCounter;
  /** Cluster mode only. */
  cluster?: {
    peers(): number;
    frames: {
      sent: Record<string, { frames: number; bytes: number; items: number }>;
      received: Record<string, { frames: number; bytes: number; items: number }>;
      dropped: number;
      forwardFailures: number;
    };
    redisUp(): boolean;
    natsUp(): boolean;
  };
}

const PACKET_TYPES: [string, number][] = Object.entries(PACKET_TYPE_CODES);

/** Splits a LabelledCounter's `a|b|c` keys into samples with these label names. */
function labelled(counter: LabelledCounter, names: readonly string[]): Sample[] {
  return [...counter.values].map(([key, value]) => {
    const parts = key.split('|');
    const labels: Labels = {};
    names.forEach((name, i) => (labels[name] = parts[i] ?? ''));
    return { labels, value };
  });
}

const byQos = (counts: readonly number[]): Sample[] =>
  counts.map((value, qos) => ({ labels: { qos: String(qos) }, value }));

const byPacketType = (counts: readonly number[]): Sample[] =>
  PACKET_TYPES.map(([type, code]) => ({ labels: { type }, value: counts[code] ?? 0 }));

const one = (value: number): Sample[] => [{ labels: {}, value }];

/** A metric whose samples are computed at scrape time (prom-client's custom metric shape). */
function scraped(spec: MetricSpec, read: () => Sample[] | Promise<Sample[]>) {
  return {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: 'sum' as const,
    reset: () => undefined,
    get: async () => ({ name: spec.name, help: spec.help, type: spec.type, aggregator: 'sum', values: await read() }),
  };
}

/** A histogram kept by the broker (fixed buckets in milliseconds), exposed in seconds. */
function bucketHistogram(spec: MetricSpec, histogram: BucketHistogram) {
  return scraped(spec, () => {
    const values: (Sample & { metricName: string })[] = [];
    let cumulative = 0;
    histogram.bounds.forEach((bound, i) => {
      cumulative += histogram.counts[i]!;
      values.push({ metricName: `${spec.name}_bucket`, labels: { le: String(bound / 1000) }, value: cumulative });
    });
    values.push({ metricName: `${spec.name}_bucket`, labels: { le: '+Inf' }, value: histogram.count });
    values.push({ metricName: `${spec.name}_sum`, labels: {}, value: histogram.sum / 1000 });
    values.push({ metricName: `${spec.name}_count`, labels: {}, value: histogram.count });
    return values;
  });
}

export interface NodeMetrics {
  /** Times Redis and NATS operations (pass to the instrumented backends). */
  readonly observeOperation: OperationObserver;
  /** The text Prometheus scrapes. */
  scrape(): Promise<string>;
  stop(): void;
}

export function createNodeMetrics(sources: MetricSources): NodeMetrics {
  const registry = new Registry();
  const { broker } = sources;
  const stats = broker.stats;
  const cluster = sources.cluster;
  const frames = (direction: 'sent' | 'received') => cluster?.frames[direction] ?? {};
  const forwardItems = (direction: 'sent' | 'received') => frames(direction)['forward']?.items ?? 0;
  const forwardBytes = (direction: 'sent' | 'received') => frames(direction)['forward']?.bytes ?? 0;

  const liveSessionTotals = (): { queued: number; inflight: number } => {
    let queued = 0;
    let inflight = 0;
    for (const channel of broker.clients.values()) {
      queued += channel.session?.queue.length ?? 0;
      inflight += channel.session?.inflight.size ?? 0;
    }
    return { queued, inflight };
  };

  const histogram = (spec: MetricSpec) =>
    new Histogram({
      name: spec.name,
      help: spec.help,
      labelNames: [...spec.labels],
      buckets: [...(spec.buckets ?? [])],
      registers: [registry],
    });
  const takeoverDuration = histogram(METRICS.takeoverDuration);
  const redisDuration = histogram(METRICS.redisDuration);
  const natsDuration = histogram(METRICS.natsDuration);

  const readers: Record<
    Exclude<
      MetricKey,
      'deliveryLatency' | 'takeoverDuration' | 'redisDuration' | 'natsDuration' | 'redisErrors' | 'natsErrors'
    >,
    () => Sample[] | Promise<Sample[]>
  > = {
    nodeInfo: () => [{ labels: { node_id: broker.nodeId, version: sources.version }, value: 1 }],
    nodeUptime: () => one((Date.now() - sources.startedAt) / 1000),
    nodeReady: () => one(sources.ready() ? 1 : 0),
    nodeDraining: () => one(sources.draining() ? 1 : 0),
    nodeDrains: () => labelled(sources.drains, METRICS.nodeDrains.labels),
    connectionsCurrent: () => {
      const counts = new Map<string, number>();
      for (const channel of broker.openConnections) {
        const key = `${channel.transport.listener}|${channel.protocol}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, value]) => {
        const [listener = '', protocol = ''] = key.split('|');
        return { labels: { listener, protocol }, value };
      });
    },
    connectionsOpened: () => labelled(stats.connectionsOpened, METRICS.connectionsOpened.labels),
    connectionsClosed: () => labelled(stats.connectionsClosed, METRICS.connectionsClosed.labels),
    connacks: () => labelled(stats.connacks, METRICS.connacks.labels),
    authentications: () => labelled(stats.authentications, METRICS.authentications.labels),
    packetsReceived: () => byPacketType(stats.packetsIn),
    packetsSent: () => byPacketType(stats.packetsOut),
    packetBytesReceived: () => byPacketType(stats.packetBytesIn),
    packetBytesSent: () => byPacketType(stats.packetBytesOut),
    bytesReceived: () => one(stats.bytesIn),
    bytesSent: () => one(stats.bytesOut),
    messagesPublished: () => byQos(stats.messagesPublished),
    messagesDelivered: () => byQos(stats.messagesDelivered),
    messagesDropped: () => labelled(stats.messagesDropped, METRICS.messagesDropped.labels),
    messagesExpired: () => byQos(stats.messagesExpired),
    messagesQueuedOffline: () => one(stats.messagesQueued),
    retainedMessages: async () => one(await broker.retained.size().catch(() => Number.NaN)),
    willsPublished: () => one(stats.willsPublished),
    sessionsLive: () => one(broker.clientCount),
    sessionsOffline: () => one(broker.offlineSessions.size),
    sessionsExpired: () => one(stats.sessionsExpired),
    sessionsQueued: () => one(liveSessionTotals().queued),
    sessionsInflight: () => one(liveSessionTotals().inflight),
    takeovers: () => labelled(stats.takeoverResults, METRICS.takeovers.labels),
    flapDelays: () => one(stats.flapDelays),
    subscriptions: () => one(broker.router.subscriptions),
    sharedGroups: () => one(broker.router.sharedGroups.size),
    sharedMembers: () => {
      let members = 0;
      for (const group of broker.router.sharedGroups.values()) members += group.members.size;
      return one(members);
    },
    routesLocal: () => one(broker.router.filters),
    routesRemote: () => one(broker.cluster?.replica.size ?? 0),
    clusterPeers: () => one(cluster?.peers() ?? 0),
    clusterForwarded: () => [
      { labels: { direction: 'out' }, value: forwardItems('sent') },
      { labels: { direction: 'in' }, value: forwardItems('received') },
    ],
    clusterForwardedBytes: () => [
      { labels: { direction: 'out' }, value: forwardBytes('sent') },
      { labels: { direction: 'in' }, value: forwardBytes('received') },
    ],
    clusterFrames: () =>
      (['sent', 'received'] as const).flatMap((direction) =>
        Object.entries(frames(direction)).map(([kind, c]) => ({
          labels: { direction: direction === 'sent' ? 'out' : 'in', kind },
          value: c.frames,
        })),
      ),
    clusterFramesDropped: () => one(cluster?.frames.dropped ?? 0),
    clusterRebalanced: () => one(stats.rebalanced),
    clusterForwardFailures: () => one(cluster?.frames.forwardFailures ?? 0),
    redisUp: () => (cluster ? one(cluster.redisUp() ? 1 : 0) : []),
    natsUp: () => (cluster ? one(cluster.natsUp() ? 1 : 0) : []),
  };
  for (const [key, read] of Object.entries(readers) as [keyof typeof readers, () => Sample[]][]) {
    registry.registerMetric(scraped(METRICS[key], read) as never);
  }
  registry.registerMetric(bucketHistogram(METRICS.deliveryLatency, stats.deliveryLatency) as never);

  // Errors are counted as they happen (rare), per store and operation.
  const redisErrors = new Map<string, number>();
  const natsErrors = new Map<string, number>();
  registry.registerMetric(
    scraped(METRICS.redisErrors, () =>
      [...redisErrors].map(([key, value]) => {
        const [store = '', op = ''] = key.split('|');
        return { labels: { store, op }, value };
      }),
    ) as never,
  );
  registry.registerMetric(
    scraped(METRICS.natsErrors, () => [...natsErrors].map(([op, value]) => ({ labels: { op }, value }))) as never,
  );

  stats.onTakeover = (result, durationMs) => takeoverDuration.observe({ result }, durationMs / 1000);
  const observeOperation: OperationObserver = (backend, store, op, seconds, ok) => {
    if (backend === 'redis') {
      redisDuration.observe({ store, op }, seconds);
      if (!ok) redisErrors.set(`${store}|${op}`, (redisErrors.get(`${store}|${op}`) ?? 0) + 1);
    } else {
      natsDuration.observe({ op }, seconds);
      if (!ok) natsErrors.set(op, (natsErrors.get(op) ?? 0) + 1);
    }
  };

  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  return {
    observeOperation,
    scrape: () => registry.metrics(),
    stop: () => {
      stats.onTakeover = undefined;
      registry.clear();
    },
  };
}
