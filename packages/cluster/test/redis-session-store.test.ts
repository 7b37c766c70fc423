/**
 * RedisSessionStore beyond the contract: races between nodes, concurrent appends, hostile client
 * ids on Redis Cluster, the cross-slot indexes, and edge cases of the queue bound. Each runs on
 * one Redis server and on a Redis Cluster of three masters.
 */
import { FlockError } from '@flockmq/protocol';
import type { PendingMessage, SessionState } from '@flockmq/broker';
import { pending, sessionState } from '../../broker/test/contracts/fixtures';
import { pollUntil } from '../../testkit/src/fixtures/poll';
import { startRedis, startRedisCluster } from '../../testkit/src/fixtures/redis';
import { closeRedisClient, createRedisClient, waitForRedis } from '../src/redis/connect';
import { RedisSessionStore } from '../src/redis/redis-session-store';
import type { RedisClient } from '../src/redis/scripts';
import { freshNamespace, startClusterRedis, startSingleRedis } from './support/redis';
import type { RedisUnderTest } from './support/redis';

const payloads = (state: SessionState | undefined): string[] =>
  (state?.pending ?? []).map((p) => p.message.payload.toString());
const sub = (filter: string, qos: 0 | 1 | 2 = 1) => ({
  filter,
  qos,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0 as const,
  subscriptionId: undefined,
});

for (const [kind, start] of [
  ['single Redis', startSingleRedis],
  ['Redis Cluster', startClusterRedis],
] as const) {
  describe(`RedisSessionStore (${kind})`, () => {
    let redis: RedisUnderTest;
    /** Two more connections, standing for two other nodes. */
    let nodeA: RedisClient;
    let nodeB: RedisClient;
    let namespace: string;
    let store: RedisSessionStore;
    let n = 0;
    let clientId: string;

    beforeAll(async () => {
      redis = await start();
      nodeA = await redis.connect();
      nodeB = await redis.connect();
    }, 60_000);
    afterAll(async () => {
      await redis?.close();
    });
    beforeEach(() => {
      namespace = freshNamespace();
      store = new RedisSessionStore(redis.client, { namespace });
      clientId = `dev{${n++}}: ü`;
    });

    const storeOn = (client: RedisClient): RedisSessionStore => new RedisSessionStore(client, { namespace });

    test('session store - racing claims from two nodes leave exactly one owner, and the loser is fenced', async () => {
      const a = storeOn(nodeA);
      const b = storeOn(nodeB);
      for (let round = 0; round < 25; round++) {
        const id = `${clientId}/${round}`;
        const [claimA, claimB] = await Promise.all([a.claim(id, 'node-a'), b.claim(id, 'node-b')]);
        expect(claimA.epoch).not.toBe(claimB.epoch);
        const [winner, loser] = claimA.epoch > claimB.epoch ? [claimA, claimB] : [claimB, claimA];
        const [winStore, loseStore] = winner === claimA ? [a, b] : [b, a];
        // The later claim saw the earlier one as its previous owner.
        expect(winner.previous).toEqual({ epoch: loser.epoch, nodeId: loser.nodeId });
        expect(await store.owner(id)).toEqual({ epoch: winner.epoch, nodeId: winner.nodeId });

        // Both write at once: only the owner's write lands.
        const results = await Promise.allSettled([
          winStore.save(sessionState(id, { expiryInterval: 1 }), winner.epoch),
          loseStore.save(sessionState(id, { expiryInterval: 2 }), loser.epoch),
        ]);
        expect(results[0].status).toBe('fulfilled');
        expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'FLOCK_ERR_FENCED' } });
        await expect(loseStore.update(id, loser.epoch, { expiryInterval: 3 })).rejects.toMatchObject({
          code: 'FLOCK_ERR_FENCED',
        });
        await expect(loseStore.delete(id, loser.epoch)).resolves.toBe(false);
        expect(await loseStore.release(id, loser.epoch)).toBe(false);
        expect((await store.load(id))!.expiryInterval).toBe(1);
        expect(await store.ownedBy(loser.nodeId)).not.toContain(id);
        expect(await store.ownedBy(winner.nodeId)).toContain(id);
      }
    });

    test('session store - many racing claims hand out distinct epochs, and the highest one owns', async () => {
      const stores = [storeOn(nodeA), storeOn(nodeB), store];
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) => stores[i % 3]!.claim(clientId, `node-${i}`)),
      );
      const epochs = claims.map((c) => c.epoch);
      expect(new Set(epochs).size).toBe(epochs.length);
      const last = claims.reduce((a, b) => (a.epoch > b.epoch ? a : b));
      expect(await store.owner(clientId)).toEqual({ epoch: last.epoch, nodeId: last.nodeId });
      // Every claim but the first saw the claim just before it.
      const byEpoch = [...claims].sort((a, b) => a.epoch - b.epoch);
      byEpoch
        .slice(1)
        .forEach((c, i) => expect(c.previous).toEqual({ epoch: byEpoch[i]!.epoch, nodeId: byEpoch[i]!.nodeId }));
    });

    test('session store - concurrent appends from several nodes get distinct, gapless seqs in each sender order', async () => {
      const { epoch } = await store.claim(clientId, 'owner');
      await store.save(sessionState(clientId, { lastSeq: 10 }), epoch);
      const senders = [storeOn(nodeA), storeOn(nodeB), store];
      const perSender = 40;
      const outcomes = await Promise.all(
        senders.map(async (sender, s) => {
          const seqs: number[] = [];
          for (let i = 0; i < perSender; i++) {
            const outcome = await sender.append(clientId, pending('t', `${s}:${i}`), 1000, 'drop-oldest');
            if (outcome.result !== 'queued') throw new Error(`unexpected ${outcome.result}`);
            seqs.push(outcome.seq);
          }
          return seqs;
        }),
      );
      const all = outcomes.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: senders.length * perSender }, (_, i) => 11 + i));
      for (const seqs of outcomes) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const loaded = (await store.load(clientId))!;
      expect(loaded.lastSeq).toBe(10 + senders.length * perSender);
      expect(loaded.pending.map((p) => p.seq)).toEqual(all);
      for (let s = 0; s < senders.length; s++) {
        const mine = payloads(loaded).filter((p) => p.startsWith(`${s}:`));
        expect(mine).toEqual(Array.from({ length: perSender }, (_, i) => `${s}:${i}`));
      }
    });

    test('session store - concurrent appends to a full queue keep exactly maxQueued queued messages', async () => {
      const { epoch } = await store.claim(clientId, 'owner');
      await store.save(
        sessionState(clientId, { pending: [pending('t', 'inflight', { seq: 1, state: 'sent' })], lastSeq: 1 }),
        epoch,
      );
      const senders = [storeOn(nodeA), storeOn(nodeB)];
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => senders[i % 2]!.append(clientId, pending('t', `m${i}`), 5, 'drop-oldest')),
      );
      const loaded = (await store.load(clientId))!;
      expect(loaded.pending.filter((p) => p.state === 'queued')).toHaveLength(5);
      expect(payloads(loaded)[0]).toBe('inflight');
      // The survivors are the five newest seqs.
      expect(loaded.pending.slice(1).map((p) => p.seq)).toEqual([57, 58, 59, 60, 61]);
    });

    test('session store - client ids with braces, colons and empty ids work end to end', async () => {
      for (const id of ['{}', 'a{b}c', '}{', '{{x}}', '', 'x}:meta', '%7B', 'ü {€}']) {
        const { epoch } = await store.claim(id, 'node-a');
        await store.save(sessionState(id, { subscriptions: [sub('a/{b}')] }), epoch);
        expect(await store.append(id, pending('t', id), 10, 'drop-new')).toEqual({ result: 'queued', seq: 1 });
        await store.update(id, epoch, { sent: [1], inboundQoS2Add: [7] });
        const loaded = (await store.load(id))!;
        expect(loaded.clientId).toBe(id);
        expect(loaded.pending.map((p) => [p.message.payload.toString(), p.state])).toEqual([[id, 'sent']]);
        expect(await store.list()).toContain(id);
        expect(await store.ownedBy('node-a')).toContain(id);
        expect(await store.delete(id, epoch)).toBe(true);
        expect(await store.release(id, epoch)).toBe(true);
      }
      // Distinct ids that look alike after naive escaping stay apart.
      expect(await store.load('%7B')).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect(await store.ownedBy('node-a')).toEqual([]);
    });

    if (kind === 'Redis Cluster') {
      test('session store - every key of a session is in one slot on Redis Cluster, whatever the client id', async () => {
        const cluster = redis.client;
        const slotsSeen = new Set<number>();
        for (const id of ['{}', 'a{b}c', '}{', '', 'plain', 'x}:owner{y', 'ü{€}', 'b{b}c']) {
          const keys = Object.values(store.keys.session(id));
          const slots = await Promise.all(
            keys.map((key) => cluster.call('CLUSTER', 'KEYSLOT', key) as Promise<number>),
          );
          expect(new Set(slots).size).toBe(1);
          slotsSeen.add(slots[0]!);
        }
        // Ids that share a naive `{b}` tag do not collapse onto one slot.
        expect(slotsSeen.size).toBeGreaterThan(1);
      });
    }

    test('session store - epochs keep growing after delete and release', async () => {
      const first = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), first.epoch);
      expect(await store.delete(clientId, first.epoch)).toBe(true);
      expect(await store.release(clientId, first.epoch)).toBe(true);
      const second = await store.claim(clientId, 'node-b');
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(second.previous).toBeUndefined();
      await expect(store.save(sessionState(clientId), first.epoch)).rejects.toMatchObject({ code: 'FLOCK_ERR_FENCED' });
    });

    test('session store - a released owner key expires (client ids used once do not pile up); a claim keeps it', async () => {
      const owner = store.keys.session(clientId).owner;
      const first = await store.claim(clientId, 'node-a');
      expect(await redis.client.pttl(owner)).toBe(-1);
      expect(await store.release(clientId, first.epoch)).toBe(true);
      const ttl = await redis.client.pttl(owner);
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000);
      await store.claim(clientId, 'node-b');
      expect(await redis.client.pttl(owner)).toBe(-1);
    });

    test('session store - fencing and missing-session errors are FlockErrors with stable codes', async () => {
      await expect(store.update(clientId, 1, {})).rejects.toBeInstanceOf(FlockError);
      await expect(store.update(clientId, 1, {})).rejects.toMatchObject({ code: 'FLOCK_ERR_FENCED' });
      const { epoch } = await store.claim(clientId, 'node-a');
      const error = await store.update(clientId, epoch, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlockError);
      expect(error).toMatchObject({ code: 'FLOCK_ERR_SESSION_NOT_FOUND' });
    });

    test('session store - save replaces everything, including what was appended since', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(
        sessionState(clientId, {
          subscriptions: [sub('a'), sub('b')],
          inboundQoS2: [3],
          will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, delayInterval: 1 },
          disconnectedAt: 5,
          username: 'u',
        }),
        epoch,
      );
      await store.append(clientId, pending('t', 'appended'), 10, 'drop-new');
      const replacement = sessionState(clientId, { subscriptions: [sub('c')], lastSeq: 1 });
      await store.save(replacement, epoch);
      expect(await store.load(clientId)).toEqual(replacement);
      // The next append continues from the saved lastSeq.
      expect(await store.append(clientId, pending('t'), 10, 'drop-new')).toEqual({ result: 'queued', seq: 2 });
    });

    test('session store - subscriptions keep their order; a replaced one keeps its place', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId, { subscriptions: [sub('z'), sub('a'), sub('m')] }), epoch);
      await store.update(clientId, epoch, { subscribe: [sub('b'), sub('a', 2)], unsubscribe: ['z'] });
      await store.update(clientId, epoch, { subscribe: [sub('0')] });
      expect((await store.load(clientId))!.subscriptions).toEqual([sub('a', 2), sub('m'), sub('b'), sub('0')]);
    });

    test('session store - update follows the memory store on overlapping changes', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      for (const p of ['m1', 'm2', 'm3']) await store.append(clientId, pending('t', p, { qos: 2 }), 10, 'drop-new');
      await store.update(clientId, epoch, { sent: [1, 2, 99] });
      // completed wins over sent; released applies to sent and queued alike; unknown seqs are ignored.
      await store.update(clientId, epoch, {
        completed: [1, 42],
        sent: [1, 3],
        released: [2, 77],
        inboundQoS2Add: [5],
        inboundQoS2Remove: [5],
      });
      const loaded = (await store.load(clientId))!;
      expect(loaded.pending.map((p) => [p.seq, p.state])).toEqual([
        [2, 'released'],
        [3, 'sent'],
      ]);
      expect(loaded.inboundQoS2).toEqual([]);
      // A sent or released message no longer counts against the queue bound.
      expect(await store.append(clientId, pending('t', 'm4'), 1, 'drop-new')).toEqual({ result: 'queued', seq: 4 });
    });

    test('session store - a queue bound of 0 refuses new messages and never drops in-flight ones', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(
        sessionState(clientId, { pending: [pending('t', 'inflight', { seq: 1, state: 'sent' })], lastSeq: 1 }),
        epoch,
      );
      expect(await store.append(clientId, pending('t', 'new'), 0, 'drop-oldest')).toEqual({ result: 'dropped-new' });
      expect(await store.append(clientId, pending('t', 'new'), 0, 'drop-new')).toEqual({ result: 'dropped-new' });
      expect(payloads(await store.load(clientId))).toEqual(['inflight']);
    });

    test('session store - a big pending message and a big queue round trip', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      const big: PendingMessage = pending('big', 'x');
      big.message = { ...big.message, payload: Buffer.alloc(1 << 20, 0xab) };
      await store.append(clientId, big, 10_000, 'drop-new');
      for (let i = 0; i < 500; i++) await store.append(clientId, pending('t', `m${i}`), 10_000, 'drop-new');
      const loaded = (await store.load(clientId))!;
      expect(loaded.pending).toHaveLength(501);
      expect(loaded.pending[0]!.message.payload.equals(big.message.payload)).toBe(true);
      expect(loaded.pending.map((p) => p.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    });

    test('session store - stale index members (a crash between index and script) are filtered out and pruned', async () => {
      const indexKey = store.keys.sessionIndex();
      const ownedKey = store.keys.ownedBy('node-a');
      // What a node that crashed after touching the indexes, before its script, leaves behind.
      await redis.client.zadd(indexKey, 1, 'ghost');
      await redis.client.zadd(ownedKey, 1, 'ghost');
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      expect(await store.list()).toEqual([clientId]);
      expect(await store.ownedBy('node-a')).toEqual([clientId]);
      expect(await redis.client.zscore(indexKey, 'ghost')).toBeNull();
      expect(await redis.client.zscore(ownedKey, 'ghost')).toBeNull();
    });

    test('session store - list() sees every session that exists throughout, while others are deleted meanwhile', async () => {
      const ids = Array.from({ length: 2000 }, (_, i) => `many/${i}`);
      for (let i = 0; i < ids.length; i += 200) {
        await Promise.all(
          ids.slice(i, i + 200).map(async (id) => {
            const { epoch } = await store.claim(id, 'node-a');
            await store.save(sessionState(id), epoch);
          }),
        );
      }
      const doomed = ids.filter((_, i) => i % 2 === 1);
      const kept = ids.filter((_, i) => i % 2 === 0);
      const other = storeOn(nodeA);
      const [listed, owned] = await Promise.all([
        store.list(),
        store.ownedBy('node-a'),
        (async () => {
          for (let i = 0; i < doomed.length; i += 100) {
            await Promise.all(doomed.slice(i, i + 100).map((id) => other.delete(id)));
          }
        })(),
      ]);
      const listedSet = new Set(listed);
      expect(kept.filter((id) => !listedSet.has(id))).toEqual([]);
      expect(new Set(owned).size).toBe(ids.length);
      expect((await store.list()).sort()).toEqual([...kept].sort());
    });

    test('session store - release, takeover and delete leave no index members behind', async () => {
      const a = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), a.epoch);
      await store.claim(clientId, 'node-b');
      expect(await store.ownedBy('node-a')).toEqual([]);
      expect(await redis.client.zcard(store.keys.ownedBy('node-a'))).toBe(0);
      const b = (await store.owner(clientId))!;
      expect(await store.release(clientId, b.epoch)).toBe(true);
      expect(await redis.client.zcard(store.keys.ownedBy('node-b'))).toBe(0);
      expect(await store.delete(clientId)).toBe(true);
      expect(await redis.client.zcard(store.keys.sessionIndex())).toBe(0);
    });

    test('session store - pending messages are stored as binary, not JSON', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      await store.append(clientId, pending('t', 'payload'), 10, 'drop-new');
      const stored = (await redis.client.hgetBuffer(store.keys.session(clientId).pending, '1'))!;
      expect(stored[0]).toBe(1); // format byte
      expect(stored.toString('latin1')).not.toContain('{"');
    });
  });
}

describe('RedisSessionStore across a Redis restart', () => {
  test('session store - keeps working after Redis restarts (ioredis reconnects, scripts reload)', async () => {
    // Append-only file on, so the data outlives the restart too.
    const server = await startRedis({ backend: 'local', args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const client = createRedisClient(server.url, { maxBackoffMs: 100 });
    try {
      await waitForRedis(client);
      const store = new RedisSessionStore(client, { namespace: freshNamespace() });
      const id = 'restart{1}';
      const first = await store.claim(id, 'node-a');
      await store.save(sessionState(id), first.epoch);
      await store.append(id, pending('t', 'before'), 10, 'drop-new');

      const closed = new Promise((resolve) => client.once('close', resolve));
      await server.stop();
      await closed;
      // Down: calls fail at once instead of queueing.
      await expect(store.load(id)).rejects.toThrow();

      await server.restart();
      await waitForRedis(client, 20_000);
      expect(payloads(await store.load(id))).toEqual(['before']);
      await store.append(id, pending('t', 'after'), 10, 'drop-new');
      await store.update(id, first.epoch, { completed: [1] });
      expect(payloads(await store.load(id))).toEqual(['after']);
      const second = await store.claim(id, 'node-b');
      expect(second.epoch).toBeGreaterThan(first.epoch);
    } finally {
      await closeRedisClient(client);
      await server.close();
    }
  }, 60_000);

  test('session store - keeps working after a Redis Cluster master restarts', async () => {
    const cluster = await startRedisCluster({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const client = createRedisClient(cluster.urls);
    try {
      await waitForRedis(client, 20_000);
      const store = new RedisSessionStore(client, { namespace: freshNamespace() });
      // Enough ids to have sessions on every master.
      const ids = Array.from({ length: 24 }, (_, i) => `c{${i}}`);
      for (const id of ids) {
        const { epoch } = await store.claim(id, 'node-a');
        await store.save(sessionState(id), epoch);
        await store.append(id, pending('t', `before ${id}`), 10, 'drop-new');
      }
      await cluster.nodes[0]!.stop();
      await cluster.nodes[0]!.restart();
      await cluster.waitUntilHealthy();
      // Once the cluster is healthy again, every session is reachable and writable.
      await pollUntil(
        async () => {
          try {
            for (const id of ids) await store.claim(id, 'node-b');
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000, intervalMs: 100, what: 'claims on every master after the restart' },
      );
      for (const id of ids) {
        expect(payloads(await store.load(id))).toEqual([`before ${id}`]);
        expect(await store.append(id, pending('t', 'after'), 10, 'drop-new')).toEqual({ result: 'queued', seq: 2 });
      }
      expect((await store.ownedBy('node-b')).sort()).toEqual([...ids].sort());
    } finally {
      await closeRedisClient(client);
      await cluster.close();
    }
  }, 90_000);
});
