/**
 * The broker's four backend contract suites against the Redis implementations, on one Redis
 * server and on a Redis Cluster of three masters.
 */
import { describeNodeRegistryContract } from '../../broker/test/contracts/node-registry.contract';
import { describeRetainStoreContract } from '../../broker/test/contracts/retain-store.contract';
import { describeRouteRegistryContract } from '../../broker/test/contracts/route-registry.contract';
import { describeSessionStoreContract } from '../../broker/test/contracts/session-store.contract';
import { RedisNodeRegistry } from '../src/redis/redis-node-registry';
import { RedisRetainStore } from '../src/redis/redis-retain-store';
import { RedisRouteRegistry } from '../src/redis/redis-route-registry';
import { RedisSessionStore } from '../src/redis/redis-session-store';
import { advanceRedisClock, freshNamespace, startClusterRedis, startSingleRedis } from './support/redis';
import type { RedisUnderTest } from './support/redis';

for (const [kind, start] of [
  ['single Redis', startSingleRedis],
  ['Redis Cluster', startClusterRedis],
] as const) {
  describe(kind, () => {
    let redis: RedisUnderTest;
    beforeAll(async () => {
      redis = await start();
    }, 60_000);
    afterAll(async () => {
      await redis?.close();
    });

    describeSessionStoreContract(
      `redis, ${kind}`,
      () => new RedisSessionStore(redis.client, { namespace: freshNamespace() }),
    );
    describeRetainStoreContract(
      `redis, ${kind}`,
      () => new RedisRetainStore(redis.client, { namespace: freshNamespace() }),
    );
    describeRouteRegistryContract(
      `redis, ${kind}`,
      () => new RedisRouteRegistry(redis.client, { namespace: freshNamespace() }),
    );
    describeNodeRegistryContract(`redis, ${kind}`, async () => ({
      registry: new RedisNodeRegistry(redis.client, { namespace: freshNamespace() }),
      advance: (ms) => advanceRedisClock(redis.client, ms),
    }));
  });
}
