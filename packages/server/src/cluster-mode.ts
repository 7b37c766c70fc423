/**
 * Cluster mode: the Redis backends and the NATS bus a node uses when --redis and --nats are set.
 *
 * A node that cannot reach Redis or NATS at start says so in one line and keeps trying (a pod
 * scheduled before its Redis is up must not crash-loop); it takes no clients until both answer,
 * because a node that cannot see the registry cannot route or fence sessions.
 */
import type { BrokerOptions, Logger } from '@flockmq/broker';
import {
  NatsClusterBus,
  RedisNodeRegistry,
  RedisRetainStore,
  RedisRouteRegistry,
  RedisSessionStore,
  closeRedisClient,
  createRedisClient,
  redact,
  type RedisClient,
} from '@flockmq/cluster';
import { FlockError } from '@flockmq/protocol';
import type { ServerConfig } from './config';
import { instrument, type OperationObserver } from './metrics/instrument';

/** How often an unreachable Redis or NATS is tried again at start. */
const START_RETRY_MS = 1000;

export interface ClusterConnection {
  /** Backends and the cluster link for the Broker. */
  readonly brokerOptions: Pick<BrokerOptions, 'backends' | 'cluster'>;
  /** The NATS bus (its frame counters and peers feed the metrics). */
  readonly bus: NatsClusterBus;
  /** True while Redis and NATS both answer. */
  readonly healthy: boolean;
  readonly redisUp: boolean;
  readonly natsUp: boolean;
  /** Called each time Redis answers again after an outage. */
  onRedisBack(listener: () => void): void;
  /** Retries `start` until NATS answers (each failed try is retried after START_RETRY_MS). */
  startWhenReachable(start: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export const isClusterMode = (config: ServerConfig): boolean => config.redis !== '' && config.nats !== '';

export const natsServers = (nats: string): string[] =>
  nats
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');

/** Waits for a signal's abort, turning it into a rejection. */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new FlockError('FLOCK_ERR_CANCELLED', 'start-up was cancelled'));
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}

const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), aborted(signal)]);

/**
 * Connects to Redis (waiting, with one log line, while it is unreachable) and prepares the NATS
 * bus. The bus itself connects when the broker starts, through startWhenReachable.
 */
export async function connectCluster(
  config: ServerConfig,
  logger: Logger,
  signal?: AbortSignal,
  observe: OperationObserver = () => undefined,
): Promise<ClusterConnection> {
  const log = logger.child({ component: 'cluster' });
  const redisUrl = redact(config.redis);
  const redis: RedisClient = createRedisClient(config.redis, { connectionName: `flockmq:${config.nodeId}` });
  // ioredis reports every failed reconnection as an 'error' event; one line per outage is enough.
  let redisDown = false;
  let closing = false;
  const down = (err: string): void => {
    if (redisDown || closing) return;
    redisDown = true;
    log.warn({ redis: redisUrl, err }, 'redis_unreachable');
  };
  redis.on('error', (error: Error) => down(error.message));
  redis.on('close', () => down('connection closed'));
  let onRedisBack: () => void = () => undefined;
  redis.on('ready', () => {
    if (redisDown) {
      log.info({ redis: redisUrl }, 'redis_reachable');
      onRedisBack();
    }
    redisDown = false;
  });

  try {
    // No deadline: a node started before its Redis waits for it (the line above says why).
    const ready = new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve)));
    await Promise.race([ready, aborted(signal)]);
  } catch (error) {
    closing = true;
    await closeRedisClient(redis);
    throw error;
  }

  const servers = natsServers(config.nats);
  // Only round trips are timed: acknowledged forward batches and control requests (by their type).
  const bus = new NatsClusterBus({
    nodeId: config.nodeId,
    servers,
    logger,
    onRoundTrip: (op, seconds, ok) => observe('nats', 'bus', op, seconds, ok),
  });
  const options = { namespace: undefined };
  const redisStore = <T extends object>(store: T, name: string): T => instrument(store, 'redis', name, observe);
  const brokerOptions: ClusterConnection['brokerOptions'] = {
    backends: {
      sessions: redisStore(new RedisSessionStore(redis, options), 'sessions'),
      retained: redisStore(new RedisRetainStore(redis, options), 'retained'),
      routes: redisStore(new RedisRouteRegistry(redis, options), 'routes'),
    },
    cluster: {
      bus,
      nodes: redisStore(new RedisNodeRegistry(redis, options), 'nodes'),
      rebalance: {
        enabled: config.rebalance,
        thresholdPercent: config.rebalanceThreshold,
        minExcess: config.rebalanceMinExcess,
        ratePerSecond: config.rebalanceRate,
        intervalMs: config.rebalanceInterval * 1000,
        ...(config.drainServerReference !== '' && { serverReference: config.drainServerReference }),
      },
    },
  };

  return {
    brokerOptions,
    bus,
    get redisUp() {
      return redis.status === 'ready';
    },
    get natsUp() {
      return bus.connected;
    },
    onRedisBack(listener) {
      onRedisBack = listener;
    },
    get healthy() {
      return redis.status === 'ready' && bus.connected;
    },
    async startWhenReachable(start) {
      let said = false;
      for (;;) {
        try {
          await start();
          if (said) log.info({ nats: servers }, 'nats_reachable');
          return;
        } catch (error) {
          // Only a failed first connection is retried; anything later is a real failure.
          if (!(error instanceof FlockError) || error.code !== 'FLOCK_ERR_UNREACHABLE') throw error;
          if (!said) log.warn({ nats: servers, err: (error.cause as Error | undefined)?.message }, 'nats_unreachable');
          said = true;
          await pause(START_RETRY_MS, signal);
        }
      }
    },
    async close() {
      closing = true;
      await closeRedisClient(redis);
    },
  };
}
