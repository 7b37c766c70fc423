/** createRedisClient: URL parsing (no I/O), then real connections to each deployment form. */
import { Cluster, Redis } from 'ioredis';
import { startRedisSentinel } from '../../testkit/src/fixtures/redis-sentinel';
import {
  backoff,
  closeRedisClient,
  createRedisClient,
  parseRedisUrl,
  redact,
  waitForRedis,
} from '../src/redis/connect';
import type { RedisClient } from '../src/redis/scripts';
import { RedisSessionStore } from '../src/redis/redis-session-store';
import { freshNamespace, startClusterRedis, startSingleRedis } from './support/redis';
import type { RedisUnderTest } from './support/redis';

describe('redis connect - URL parsing', () => {
  test.each([
    ['redis://127.0.0.1:6380', { kind: 'standalone', tls: false, host: '127.0.0.1', port: 6380, db: 0 }],
    ['redis://localhost', { kind: 'standalone', tls: false, host: 'localhost', port: 6379, db: 0 }],
    ['redis://:s%40cret@h:1/3', { kind: 'standalone', tls: false, host: 'h', port: 1, db: 3, password: 's@cret' }],
    [
      'redis://alice:pw@h',
      { kind: 'standalone', tls: false, host: 'h', port: 6379, db: 0, username: 'alice', password: 'pw' },
    ],
    ['redis://alice@h', { kind: 'standalone', tls: false, host: 'h', port: 6379, db: 0, username: 'alice' }],
    [
      'rediss://redis.example.com:6390',
      { kind: 'standalone', tls: true, host: 'redis.example.com', port: 6390, db: 0 },
    ],
    ['redis://[::1]:7000', { kind: 'standalone', tls: false, host: '::1', port: 7000, db: 0 }],
    [
      'redis-sentinel://s1:26379,s2:26380,s3/mymaster',
      {
        kind: 'sentinel',
        tls: false,
        name: 'mymaster',
        db: 0,
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
          { host: 's3', port: 26379 },
        ],
      },
    ],
    [
      'rediss-sentinel://:pw@s1/m/2?sentinelPassword=sp',
      {
        kind: 'sentinel',
        tls: true,
        name: 'm',
        db: 2,
        sentinels: [{ host: 's1', port: 26379 }],
        password: 'pw',
        sentinelPassword: 'sp',
      },
    ],
    [
      'redis-cluster://h1:7000,h2:7001',
      {
        kind: 'cluster',
        tls: false,
        nodes: [
          { host: 'h1', port: 7000 },
          { host: 'h2', port: 7001 },
        ],
      },
    ],
    ['rediss-cluster://:pw@h1', { kind: 'cluster', tls: true, nodes: [{ host: 'h1', port: 6379 }], password: 'pw' }],
  ])('redis connect - parses %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  test('redis connect - a list of redis:// URLs names Redis Cluster seed nodes', () => {
    expect(parseRedisUrl(['redis://:pw@a:7000', 'redis://b:7001'])).toEqual({
      kind: 'cluster',
      tls: false,
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      password: 'pw',
    });
    expect(parseRedisUrl(['redis://a:1'])).toEqual({ kind: 'standalone', tls: false, host: 'a', port: 1, db: 0 });
  });

  test.each([
    ['http://h:1'],
    ['redis//h'],
    ['redis://h:0'],
    ['redis://h:99999'],
    ['redis://h:x'],
    ['redis://h1,h2'],
    ['redis://h/db'],
    ['redis://h/1/2'],
    ['redis-sentinel://s1:26379'],
    ['redis-cluster://h1/0'],
    ['redis://h?foo=1'],
    ['redis://:%E0%A4%A@h'],
  ])('redis connect - refuses %s with FLOCK_ERR_CONFIG_INVALID', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }));
  });

  test('redis connect - lists must be cluster seeds', () => {
    expect(() => parseRedisUrl([])).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }));
    expect(() => parseRedisUrl(['redis://a/1', 'redis://b'])).toThrow(
      expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }),
    );
    expect(() => parseRedisUrl(['redis://a', 'rediss://b'])).toThrow(
      expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }),
    );
    expect(() => parseRedisUrl(['redis://a', 'redis-sentinel://b/m'])).toThrow(
      expect.objectContaining({ code: 'FLOCK_ERR_CONFIG_INVALID' }),
    );
  });

  test('redis connect - errors do not leak the password', () => {
    expect(redact('redis://user:secret@h:1/0')).toBe('redis://user:***@h:1/0');
    try {
      parseRedisUrl('redis://user:secret@h:1/x');
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  test('redis connect - reconnect backoff grows to its cap and never gives up', () => {
    const delay = backoff(2000);
    expect(delay(1)).toBeGreaterThanOrEqual(50);
    expect(delay(1)).toBeLessThanOrEqual(55);
    for (const times of [10, 100, 10_000]) {
      expect(delay(times)).toBeGreaterThanOrEqual(2000);
      expect(delay(times)).toBeLessThanOrEqual(2200);
    }
  });
});

describe('redis connect - real servers', () => {
  const clients: RedisClient[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => closeRedisClient(c)));
    for (const close of closers.splice(0).reverse()) await close();
  });
  const track = (client: RedisClient): RedisClient => {
    clients.push(client);
    return client;
  };

  const roundTrip = async (client: RedisClient): Promise<void> => {
    await waitForRedis(client, 20_000);
    const store = new RedisSessionStore(client, { namespace: freshNamespace() });
    const claim = await store.claim('c{1}', 'n1');
    expect(await store.owner('c{1}')).toEqual({ epoch: claim.epoch, nodeId: 'n1' });
  };

  test('redis connect - redis:// gives a Redis client that works', async () => {
    const redis: RedisUnderTest = await startSingleRedis();
    closers.push(() => redis.close());
    const client = track(createRedisClient(redis.url));
    expect(client).toBeInstanceOf(Redis);
    await roundTrip(client);
  });

  test('redis connect - redis-cluster:// and a list of URLs give a Cluster client that works', async () => {
    const redis = await startClusterRedis();
    closers.push(() => redis.close());
    const fromScheme = track(createRedisClient(redis.url));
    expect(fromScheme).toBeInstanceOf(Cluster);
    await roundTrip(fromScheme);
    const fromList = track(createRedisClient(redis.cluster!.urls));
    expect(fromList).toBeInstanceOf(Cluster);
    await roundTrip(fromList);
  }, 60_000);

  test('redis connect - redis-sentinel:// finds the master through the sentinels', async () => {
    const sentinel = await startRedisSentinel({ sentinels: 2 });
    closers.push(() => sentinel.close());
    const hosts = sentinel.sentinelAddresses.map((a) => `${a.host}:${a.port}`).join(',');
    const client = track(createRedisClient(`redis-sentinel://${hosts}/${sentinel.masterName}`));
    expect(client).toBeInstanceOf(Redis);
    await roundTrip(client);
  }, 60_000);

  test('redis connect - commands fail fast while Redis is down, and work again once it is back', async () => {
    const redis = await startSingleRedis();
    closers.push(() => redis.close());
    const client = track(createRedisClient(redis.url, { maxBackoffMs: 100 }));
    await waitForRedis(client);
    const closed = new Promise((resolve) => client.once('close', resolve));
    await redis.single!.stop();
    await closed;
    const started = Date.now();
    await expect(client.ping()).rejects.toThrow();
    // Rejected at once (no offline queue), not after a reconnect timeout.
    expect(Date.now() - started).toBeLessThan(1000);
    await redis.single!.restart();
    await waitForRedis(client, 20_000);
    expect(await client.ping()).toBe('PONG');
  }, 60_000);
});
