import type { SessionStore } from '../../src/backends/session-store';
import { pending, sessionState } from './fixtures';

const payloads = (state: { pending: { message: { payload: Buffer } }[] } | undefined): string[] =>
  (state?.pending ?? []).map((p) => p.message.payload.toString());

/**
 * The behaviour every SessionStore must have (STYLE habit 4). Run against each implementation:
 * `describeSessionStoreContract('memory', () => new MemorySessionStore())`.
 */
export function describeSessionStoreContract(
  name: string,
  create: () => Promise<SessionStore> | SessionStore,
  teardown?: (store: SessionStore) => Promise<void>,
): void {
  describe(`SessionStore contract (${name})`, () => {
    let store: SessionStore;
    let n = 0;
    let clientId: string;
    beforeEach(async () => {
      store = await create();
      // Client ids with characters that must not break key layouts or hash tags.
      clientId = `client{${process.pid}}:${Date.now()}/${n++} ü`;
    });
    afterEach(async () => {
      await teardown?.(store);
    });

    const claimAndSave = async (overrides = {}): Promise<number> => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId, overrides), epoch);
      return epoch;
    };

    test('session store - claims hand out strictly increasing epochs and report the previous owner', async () => {
      const first = await store.claim(clientId, 'node-a');
      expect(first.previous).toBeUndefined();
      const second = await store.claim(clientId, 'node-b');
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(second.previous).toEqual({ epoch: first.epoch, nodeId: 'node-a' });
      expect(await store.owner(clientId)).toEqual({ epoch: second.epoch, nodeId: 'node-b' });
    });

    test('session store - ownedBy lists the client ids a node owns, and forgets released ones', async () => {
      const other = `${clientId}-2`;
      const a = await store.claim(clientId, `${clientId}-node-a`);
      await store.claim(other, `${clientId}-node-a`);
      await store.claim(other, `${clientId}-node-b`);
      expect(await store.ownedBy(`${clientId}-node-a`)).toEqual([clientId]);
      expect(await store.ownedBy(`${clientId}-node-b`)).toEqual([other]);
      await store.release(clientId, a.epoch);
      expect(await store.ownedBy(`${clientId}-node-a`)).toEqual([]);
    });

    test('session store - an unknown client has no session and no owner', async () => {
      expect(await store.load(clientId)).toBeUndefined();
      expect(await store.owner(clientId)).toBeUndefined();
    });

    test('session store - release gives up ownership only for the current epoch, and epochs never repeat', async () => {
      const first = await store.claim(clientId, 'node-a');
      const second = await store.claim(clientId, 'node-b');
      expect(await store.release(clientId, first.epoch)).toBe(false);
      expect(await store.release(clientId, second.epoch)).toBe(true);
      expect(await store.owner(clientId)).toBeUndefined();
      const third = await store.claim(clientId, 'node-c');
      expect(third.epoch).toBeGreaterThan(second.epoch);
      expect(third.previous).toBeUndefined();
    });

    test('session store - save then load returns the same state', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      const state = sessionState(clientId, {
        username: 'alice',
        subscriptions: [
          { filter: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 2, subscriptionId: 7 },
        ],
        pending: [
          pending('a/1', 'one', { seq: 3, state: 'sent' }),
          pending('a/2', 'two', { seq: 4, qos: 2, state: 'released' }),
        ],
        inboundQoS2: [5, 9],
        disconnectedAt: 1234,
        will: {
          topic: 'w',
          payload: Buffer.from('bye'),
          qos: 1,
          retain: true,
          delayInterval: 5,
          properties: { contentType: 'c' },
        },
        lastSeq: 4,
      });
      await store.save(state, epoch);
      const loaded = await store.load(clientId);
      expect(loaded).toEqual(state);
    });

    test('session store - a stale epoch can neither save nor update (fencing, G2)', async () => {
      const old = await store.claim(clientId, 'node-a');
      await store.save(sessionState(clientId), old.epoch);
      await store.claim(clientId, 'node-b');
      await expect(store.save(sessionState(clientId, { expiryInterval: 1 }), old.epoch)).rejects.toMatchObject({
        code: 'FLOCK_ERR_FENCED',
      });
      await expect(store.update(clientId, old.epoch, { expiryInterval: 1 })).rejects.toMatchObject({
        code: 'FLOCK_ERR_FENCED',
      });
      expect((await store.load(clientId))!.expiryInterval).toBe(3600);
    });

    test('session store - loaded state is a copy: changing it does not change the store', async () => {
      await claimAndSave({ inboundQoS2: [1] });
      const loaded = await store.load(clientId);
      loaded!.inboundQoS2.push(2);
      expect((await store.load(clientId))!.inboundQoS2).toEqual([1]);
    });

    test('session store - append assigns increasing seqs after lastSeq and keeps order', async () => {
      await claimAndSave({ pending: [pending('t', 'inflight', { seq: 7, state: 'sent' })], lastSeq: 7 });
      const a = await store.append(clientId, pending('t', 'q1'), 10, 'drop-oldest');
      const b = await store.append(clientId, pending('t', 'q2'), 10, 'drop-oldest');
      expect(a).toEqual({ result: 'queued', seq: 8 });
      expect(b).toEqual({ result: 'queued', seq: 9 });
      const loaded = await store.load(clientId);
      expect(payloads(loaded)).toEqual(['inflight', 'q1', 'q2']);
      expect(loaded!.pending.map((p) => [p.seq, p.state])).toEqual([
        [7, 'sent'],
        [8, 'queued'],
        [9, 'queued'],
      ]);
      expect(loaded!.lastSeq).toBe(9);
    });

    test('session store - append to a client without a session reports no-session', async () => {
      expect(await store.append(clientId, pending('t'), 10, 'drop-oldest')).toEqual({ result: 'no-session' });
      expect(await store.load(clientId)).toBeUndefined();
    });

    test('session store - a full queue drops the oldest queued message under drop-oldest', async () => {
      await claimAndSave({ pending: [pending('t', 'inflight', { seq: 1, state: 'sent' })], lastSeq: 1 });
      await store.append(clientId, pending('t', 'q1'), 2, 'drop-oldest');
      await store.append(clientId, pending('t', 'q2'), 2, 'drop-oldest');
      expect(await store.append(clientId, pending('t', 'q3'), 2, 'drop-oldest')).toEqual({
        result: 'dropped-oldest',
        seq: 4,
      });
      // Sent messages are never dropped; only queued ones count against the bound.
      expect(payloads(await store.load(clientId))).toEqual(['inflight', 'q2', 'q3']);
    });

    test('session store - a full queue refuses the new message under drop-new', async () => {
      await claimAndSave();
      await store.append(clientId, pending('t', 'q1'), 1, 'drop-new');
      expect(await store.append(clientId, pending('t', 'q2'), 1, 'drop-new')).toEqual({ result: 'dropped-new' });
      expect(payloads(await store.load(clientId))).toEqual(['q1']);
    });

    test('session store - update applies subscriptions, acks, releases and QoS 2 ids in one step', async () => {
      const epoch = await claimAndSave({
        subscriptions: [
          {
            filter: 'old',
            qos: 0,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
            subscriptionId: undefined,
          },
        ],
        inboundQoS2: [1, 2],
      });
      for (const p of ['m1', 'm2', 'm3', 'm4'])
        await store.append(clientId, pending('t', p, { qos: 2 }), 10, 'drop-oldest');
      const sub = {
        filter: 'new/#',
        qos: 2 as const,
        noLocal: false,
        retainAsPublished: true,
        retainHandling: 1 as const,
        subscriptionId: 3,
      };
      await store.update(clientId, epoch, {
        subscribe: [sub],
        unsubscribe: ['old'],
        completed: [1],
        sent: [3],
        released: [2],
        inboundQoS2Add: [3],
        inboundQoS2Remove: [1],
      });
      const loaded = (await store.load(clientId))!;
      expect(loaded.subscriptions).toEqual([sub]);
      expect(loaded.pending.map((p) => [p.message.payload.toString(), p.state])).toEqual([
        ['m2', 'released'],
        ['m3', 'sent'],
        ['m4', 'queued'],
      ]);
      expect([...loaded.inboundQoS2].sort()).toEqual([2, 3]);
    });

    test('session store - update replaces a subscription to the same filter', async () => {
      const epoch = await claimAndSave();
      const sub = {
        filter: 'a',
        qos: 0 as const,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0 as const,
        subscriptionId: undefined,
      };
      await store.update(clientId, epoch, { subscribe: [sub] });
      await store.update(clientId, epoch, { subscribe: [{ ...sub, qos: 2 }] });
      expect((await store.load(clientId))!.subscriptions).toEqual([{ ...sub, qos: 2 }]);
    });

    test('session store - update sets and clears expiry, disconnect time and will', async () => {
      const epoch = await claimAndSave();
      const will = { topic: 'w', payload: Buffer.from('x'), qos: 0 as const, retain: false, delayInterval: 0 };
      await store.update(clientId, epoch, { expiryInterval: 60, disconnectedAt: 99, will });
      let loaded = (await store.load(clientId))!;
      expect([loaded.expiryInterval, loaded.disconnectedAt, loaded.will]).toEqual([60, 99, will]);
      await store.update(clientId, epoch, { disconnectedAt: null, will: null });
      loaded = (await store.load(clientId))!;
      expect([loaded.disconnectedAt, loaded.will]).toEqual([undefined, undefined]);
    });

    test('session store - update of a session that does not exist fails', async () => {
      const { epoch } = await store.claim(clientId, 'node-a');
      await expect(store.update(clientId, epoch, { expiryInterval: 1 })).rejects.toMatchObject({
        code: 'FLOCK_ERR_SESSION_NOT_FOUND',
      });
    });

    test('session store - delete removes the session state and leaves ownership to release', async () => {
      const epoch = await claimAndSave();
      expect(await store.list()).toContain(clientId);
      expect(await store.delete(clientId)).toBe(true);
      expect(await store.load(clientId)).toBeUndefined();
      expect(await store.owner(clientId)).toEqual({ epoch, nodeId: 'node-a' });
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

    test('session store - message properties, expiry and origin survive the store', async () => {
      await claimAndSave();
      const p = pending('t/ü', 'body');
      p.message = {
        ...p.message,
        qos: 2,
        retain: true,
        properties: {
          payloadFormatIndicator: 1,
          contentType: 'text/plain',
          responseTopic: 'r',
          correlationData: Buffer.from([0, 1, 255]),
          userProperties: [
            ['a', '1'],
            ['a', '2'],
            ['b', ''],
          ],
        },
        expiresAt: 99_000,
        origin: 'pub{1}',
        receivedAt: 42,
      };
      p.subscriptionIds = [1, 4];
      p.sharedGroup = 'g/t/#';
      p.retain = true;
      await store.append(clientId, p, 10, 'drop-oldest');
      const loaded = (await store.load(clientId))!.pending[0]!;
      expect(loaded).toEqual({ ...p, seq: 1, state: 'queued' });
    });
  });
}
