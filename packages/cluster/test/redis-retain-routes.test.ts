/**
 * RedisRetainStore and RedisRouteRegistry beyond the contract, checked against the in-memory
 * implementations as oracles: awkward topics, big shards and route sets, and the cross-slot
 * indexes when two processes share the data. On one Redis server and on a Redis Cluster.
 */
import { MemoryRetainStore, MemoryRouteRegistry } from '@flockmq/broker';
import { message } from '../../broker/test/contracts/fixtures';
import { RedisRetainStore } from '../src/redis/redis-retain-store';
import { globFor } from '../src/redis/redis-retain-store';
import { RedisRouteRegistry } from '../src/redis/redis-route-registry';
import { freshNamespace, startClusterRedis, startSingleRedis } from './support/redis';
import type { RedisUnderTest } from './support/redis';

const TOPICS = [
  'a',
  'a/b',
  'a/b/c',
  'a//b',
  '/a',
  '',
  '/',
  'a*',
  'a*/x',
  'a?/x',
  'a[1]/x',
  'a\\b/x',
  'a{b}/c:d',
  'ü/€/𝄞',
  'with space/x',
  '$SYS/uptime',
  '$SYS/a/b',
  '$other',
  'x/b',
  'x/y/z/w',
];

const FILTERS = [
  '#',
  '+',
  '+/+',
  '+/b',
  '+/x',
  'a/#',
  'a/+',
  'a/+/c',
  'a*/#',
  'a*',
  'a?/+',
  'a[1]/x',
  'a\\b/#',
  'a{b}/+',
  'ü/#',
  '/#',
  '/+',
  '+/#',
  '$SYS/#',
  '$SYS/+',
  '+/uptime',
  'x/+/+/+',
  'with space/#',
  'nothing/#',
  'a/b/c',
];

const sorted = (list: string[]): string[] => [...list].sort();

for (const [kind, start] of [
  ['single Redis', startSingleRedis],
  ['Redis Cluster', startClusterRedis],
] as const) {
  describe(`RedisRetainStore and RedisRouteRegistry (${kind})`, () => {
    let redis: RedisUnderTest;
    let namespace: string;
    beforeAll(async () => {
      redis = await start();
    }, 60_000);
    afterAll(async () => {
      await redis?.close();
    });
    beforeEach(() => {
      namespace = freshNamespace();
    });

    test('retain store - matches exactly what the memory store matches, for awkward topics and filters', async () => {
      const store = new RedisRetainStore(redis.client, { namespace });
      const oracle = new MemoryRetainStore();
      for (const topic of TOPICS) {
        await store.put(message(topic, `p:${topic}`));
        await oracle.put(message(topic, `p:${topic}`));
      }
      for (const filter of FILTERS) {
        const got = (await store.match(filter)).map((m) => m.topic);
        const want = (await oracle.match(filter)).map((m) => m.topic);
        expect([filter, sorted(got)]).toEqual([filter, sorted(want)]);
      }
      for (const m of await store.match('#')) expect(m.payload.toString()).toBe(`p:${m.topic}`);
      expect(await store.size()).toBe(TOPICS.length);
    });

    test('retain store - a big shard is scanned in pages and matched exactly', async () => {
      const store = new RedisRetainStore(redis.client, { namespace });
      const topics: string[] = [];
      for (let i = 0; i < 1500; i++) topics.push(`dev/${i % 50}/${i}`);
      await Promise.all(topics.map((t) => store.put(message(t))));
      expect(await store.size()).toBe(1500);
      expect(await store.match('dev/#')).toHaveLength(1500);
      expect(sorted((await store.match('dev/7/+')).map((m) => m.topic))).toEqual(
        sorted(topics.filter((t) => t.startsWith('dev/7/'))),
      );
      expect(await store.match('+/+/1499')).toHaveLength(1);
    });

    test('retain store - emptied shards leave the index; another process putting again is still found', async () => {
      const one = new RedisRetainStore(redis.client, { namespace });
      const other = new RedisRetainStore(redis.client, { namespace });
      await one.put(message('s/x'));
      expect(await other.delete('s/x')).toBe(true);
      expect(await redis.client.zcard(one.keys.retainIndex())).toBe(0);
      // `one` still believes the shard is indexed; its put re-creates the shard and the index entry.
      await one.put(message('s/y'));
      expect((await other.match('#')).map((m) => m.topic)).toEqual(['s/y']);
      await other.put(message('s/y', ''));
      expect(await one.size()).toBe(0);
      expect(await redis.client.zcard(one.keys.retainIndex())).toBe(0);
    });

    test('retain store - the HSCAN glob is a superset built from the literal prefix', () => {
      expect(globFor('a/b/+')).toBe('a/b*');
      expect(globFor('a/#')).toBe('a*');
      expect(globFor('+/x')).toBeUndefined();
      expect(globFor('a*[?]\\/+')).toBe('a\\*\\[\\?\\]\\\\*');
    });

    test('route registry - agrees with the memory registry after a random run of adds, removes and purges', async () => {
      const registry = new RedisRouteRegistry(redis.client, { namespace });
      const oracle = new MemoryRouteRegistry();
      const filters = ['a/+', 'a/#', '#', 'a/b', '$share/g/a/+', '$share/h/#', '$SYS/#', 'x/+/z', 'ü/{x}:y'];
      const nodes = ['n1', 'n2', 'n{3}', 'n:4'];
      let seed = 7;
      const next = (n: number): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      for (let step = 0; step < 300; step++) {
        const filter = filters[next(filters.length)]!;
        const node = nodes[next(nodes.length)]!;
        const op = next(10);
        if (op < 6) {
          await registry.add(filter, node);
          await oracle.add(filter, node);
        } else if (op < 9) {
          await registry.remove(filter, node);
          await oracle.remove(filter, node);
        } else {
          expect(await registry.purgeNode(node)).toBe(await oracle.purgeNode(node));
        }
      }
      expect(await registry.snapshot()).toEqual(await oracle.snapshot());
      for (const topic of ['a/b', 'a', 'x/y/z', '$SYS/x', 'ü/{x}:y', 'q']) {
        expect([topic, sorted(await registry.match(topic))]).toEqual([topic, sorted(await oracle.match(topic))]);
      }
    });

    test('route registry - thousands of routes: snapshot reads them all, purgeNode counts them all', async () => {
      const registry = new RedisRouteRegistry(redis.client, { namespace });
      await Promise.all(
        Array.from({ length: 3000 }, (_, i) => registry.add(`t/${i}/#`, i % 3 === 0 ? 'big' : 'small')),
      );
      const snapshot = await registry.snapshot();
      expect(snapshot.size).toBe(3000);
      expect(await registry.purgeNode('big')).toBe(1000);
      expect((await registry.snapshot()).size).toBe(2000);
      expect(await registry.purgeNode('big')).toBe(0);
      expect(await redis.client.zrange(registry.keys.routeIndex(), 0, '-1')).toEqual(['small']);
    });

    test('route registry - a node purged by another process is indexed again on its next add', async () => {
      const mine = new RedisRouteRegistry(redis.client, { namespace });
      const survivor = new RedisRouteRegistry(redis.client, { namespace });
      await mine.add('a', 'n1');
      expect(await survivor.purgeNode('n1')).toBe(1);
      await mine.add('b', 'n1');
      expect(await survivor.snapshot()).toEqual(new Map([['b', new Set(['n1'])]]));
      await mine.remove('b', 'n1');
      expect(await redis.client.zcard(mine.keys.routeIndex())).toBe(0);
    });
  });
}
