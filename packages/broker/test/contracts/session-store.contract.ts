import type { SessionStore } from '../../src/backends/session-store';
import { pending, sessionState } from './fixtures';

/**
 * The behaviour every SessionStore must have (STYLE habit 4). Run against each implementation:
 * `describeSessionStoreContract('memory', () => new MemorySessionStore())`.
 */
export function describeSessionStoreContract(name: string, create: () => Promise<SessionStore> | SessionStore, teardown?: (store: SessionStore) => Promise<void>): void {
  describe(`SessionStore contract (${name})`, () => {
    let store: SessionStore;
    let n = 0;
    let clientId: string;
    beforeEach(async () => {
      store = await create();
      clientId = `client-${process.pid}-${Date.now()}-${n++}`;
    });
    afterEach(async () => {
      await teardown?.(store);
    });

    test('session store - claims hand out strictly increasing epochs and record the owner', async () => {
      const first = await store.claim(clientId, 'node-a');
      const second = await store.claim(clientId, 'node-b');
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(await store.owner(clientId)).toEqual({ epoch: second.epoch, nodeId: 'node-b' });
    });

    test('session store - an unknown client has no session and no owner', async () => {
      expect(await store.load(clientId)).toBeUndefined();
      expect(await store.owner(clientId)).toBeUndefined();
    });

    test('session store - save then load returns the same state', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      const state = sessionState(clientId, {
        username: 'alice',
        subscriptions: [{ filter: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 2, subscriptionId: 7 }],
        pending: [pending('a/1', 'one', { packetId: 3, state: 'sent' }), pending('a/2', 'two')],
        inboundQoS2: [5, 9],
        disconnectedAt: 1234,
      });
      await store.save(state, epoch);
      const loaded = await store.load(clientId);
      expect(loaded).toEqual(state);
      expect(loaded!.pending[0]!.message.payload.toString()).toBe('one');
    });

    test('session store - a stale epoch cannot save (fencing, G2)', async () => {
      const old = await store.claim(clientId, 'node-a');
      await store.claim(clientId, 'node-b');
      await expect(store.save(sessionState(clientId), old.epoch)).rejects.toMatchObject({ code: 'FLOCK_ERR_FENCED' });
      expect(await store.load(clientId)).toBeUndefined();
    });

    test('session store - loaded state is a copy: changing it does not change the store', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId, { inboundQoS2: [1] }), epoch);
      const loaded = await store.load(clientId);
      loaded!.inboundQoS2.push(2);
      expect((await store.load(clientId))!.inboundQoS2).toEqual([1]);
    });

    test('session store - append queues after what is stored, in order', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId, { pending: [pending('t', 'inflight', { packetId: 1, state: 'sent' })] }), epoch);
      expect(await store.append(clientId, pending('t', 'q1'), 10, 'drop-oldest')).toBe('queued');
      expect(await store.append(clientId, pending('t', 'q2'), 10, 'drop-oldest')).toBe('queued');
      const loaded = await store.load(clientId);
      expect(loaded!.pending.map((p) => p.message.payload.toString())).toEqual(['inflight', 'q1', 'q2']);
    });

    test('session store - append to a client without a session reports no-session', async () => {
      expect(await store.append(clientId, pending('t'), 10, 'drop-oldest')).toBe('no-session');
      expect(await store.load(clientId)).toBeUndefined();
    });

    test('session store - a full queue drops the oldest queued message under drop-oldest', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId, { pending: [pending('t', 'inflight', { packetId: 1, state: 'sent' })] }), epoch);
      await store.append(clientId, pending('t', 'q1'), 2, 'drop-oldest');
      await store.append(clientId, pending('t', 'q2'), 2, 'drop-oldest');
      expect(await store.append(clientId, pending('t', 'q3'), 2, 'drop-oldest')).toBe('dropped-oldest');
      const loaded = await store.load(clientId);
      // In-flight messages are never dropped; only the queue is bounded.
      expect(loaded!.pending.map((p) => p.message.payload.toString())).toEqual(['inflight', 'q2', 'q3']);
    });

    test('session store - a full queue refuses the new message under drop-new', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      await store.append(clientId, pending('t', 'q1'), 1, 'drop-new');
      expect(await store.append(clientId, pending('t', 'q2'), 1, 'drop-new')).toBe('dropped-new');
      expect((await store.load(clientId))!.pending.map((p) => p.message.payload.toString())).toEqual(['q1']);
    });

    test('session store - delete removes the session and its ownership', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), epoch);
      expect(await store.list()).toContain(clientId);
      expect(await store.delete(clientId)).toBe(true);
      expect(await store.load(clientId)).toBeUndefined();
      expect(await store.list()).not.toContain(clientId);
      expect(await store.delete(clientId)).toBe(false);
    });

    test('session store - delete with a stale epoch leaves the session alone', async () => {
      const old = await store.claim(clientId, 'node-a');
      const current = await store.claim(clientId, 'node-b');
      await store.save(sessionState(clientId), current.epoch);
      expect(await store.delete(clientId, old.epoch)).toBe(false);
      expect(await store.load(clientId)).toBeDefined();
      expect(await store.delete(clientId, current.epoch)).toBe(true);
    });

    test('session store - message properties and expiry survive a save', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      const p = pending('t', 'body');
      p.message.properties = { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), userProperties: [['a', '1'], ['a', '2']] };
      p.message.expiresAt = 99_000;
      p.subscriptionIds = [1, 4];
      await store.save(sessionState(clientId, { pending: [p] }), epoch);
      const loaded = (await store.load(clientId))!.pending[0]!;
      expect(loaded.message.properties).toEqual(p.message.properties);
      expect(loaded.message.expiresAt).toBe(99_000);
      expect(loaded.subscriptionIds).toEqual([1, 4]);
    });
  });
}
