/**
 * Real Redis servers for the Redis backend tests, through the testkit fixtures: one server, or a
 * Redis Cluster of three masters. Each store under test gets its own key namespace, so tests
 * share a server without seeing each other's keys.
 */
import { pollUntil } from '../../../testkit/src/fixtures/poll';
import { startRedis, startRedisCluster } from '../../../testkit/src/fixtures/redis';
import type { RedisClusterFixture, RedisFixture } from '../../../testkit/src/fixtures/redis';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../src/redis/connect';
import type { RedisClient } from '../../src/redis/scripts';

export interface RedisUnderTest {
  readonly kind: 'single' | 'cluster';
  readonly client: RedisClient;
  /** A URL createRedisClient understands. */
  readonly url: string;
  readonly single?: RedisFixture;
  readonly cluster?: RedisClusterFixture;
  /** Another client to the same Redis (closed by close()). */
  connect(): Promise<RedisClient>;
  close(): Promise<void>;
}

let counter = 0;

/** A key namespace no other test uses. */
export function freshNamespace(): string {
  return `t${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

async function open(
  kind: 'single' | 'cluster',
  url: string,
  fixture: { close(): Promise<void> },
): Promise<RedisUnderTest> {
  const clients: RedisClient[] = [];
  const connect = async (): Promise<RedisClient> => {
    const client = createRedisClient(url);
    clients.push(client);
    await waitForRedis(client, 20_000);
    return client;
  };
  try {
    const client = await connect();
    return {
      kind,
      client,
      url,
      connect,
      close: async () => {
        await Promise.all(clients.map((c) => closeRedisClient(c)));
        await fixture.close();
      },
    };
  } catch (error) {
    for (const c of clients) c.disconnect();
    await fixture.close();
    throw error;
  }
}

export async function startSingleRedis(): Promise<RedisUnderTest> {
  const fixture = await startRedis({ backend: 'local' });
  const under = await open('single', fixture.url, fixture);
  return Object.assign(under, { single: fixture });
}

export async function startClusterRedis(): Promise<RedisUnderTest> {
  const fixture = await startRedisCluster({ masters: 3 });
  const url = `redis-cluster://${fixture.startupNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const under = await open('cluster', url, fixture);
  return Object.assign(under, { cluster: fixture });
}

/** Milliseconds on Redis's clock (the clock PX TTLs run on). */
export async function redisNowMs(client: RedisClient): Promise<number> {
  const [seconds, micros] = (await client.call('TIME')) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Waits until `ms` have passed on Redis's clock (what lease expiry is measured by). */
export async function advanceRedisClock(client: RedisClient, ms: number): Promise<void> {
  const until = (await redisNowMs(client)) + ms;
  await pollUntil(async () => (await redisNowMs(client)) >= until, {
    timeoutMs: ms + 10_000,
    intervalMs: 20,
    what: `Redis clock to advance ${ms} ms`,
  });
}
