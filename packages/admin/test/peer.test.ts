/** answerPeer (what a node runs for its peers) and the page tokens, without gRPC. */
import { answerPeer, PEER_METHODS } from '@flockmq/admin';
import { compareKeys, cutPage, decodePageToken, encodePageToken } from '../src/pagination';
import { MemoryNode, sub } from './fixtures';

function node(): MemoryNode {
  return new MemoryNode('node-b')
    .connect('c3', { username: 'u' })
    .connect('c1', { subscriptions: [sub('b/#'), sub('a/#')] })
    .connect('c2')
    .offline('c0', [sub('x')]);
}

describe('answerPeer', () => {
  test('runs exactly the whitelisted methods', async () => {
    expect([...PEER_METHODS].sort()).toEqual(
      [
        'clients',
        'deleteSession',
        'drain',
        'kick',
        'rebalance',
        'session',
        'setLogLevel',
        'sharedGroups',
        'status',
        'subscriptions',
      ].sort(),
    );
    for (const method of ['publish', 'retained', 'deleteRetained', 'constructor', '__proto__', 'toString']) {
      await expect(answerPeer(node(), method, {})).rejects.toThrow(`unknown admin method '${method}'`);
    }
  });

  test('answers with plain JSON, the same after a JSON round trip', async () => {
    const n = node();
    for (const [method, args] of [
      ['status', {}],
      ['clients', { filter: {}, limit: 10 }],
      ['session', { clientId: 'c1' }],
      ['session', { clientId: 'nope' }],
      ['subscriptions', { filter: {}, limit: 10 }],
      ['sharedGroups', {}],
    ] as const) {
      const answer = await answerPeer(n, method, args);
      expect(JSON.parse(JSON.stringify(answer))).toEqual(answer);
    }
    expect(await answerPeer(n, 'session', { clientId: 'nope' })).toBeNull();
    expect(await answerPeer(n, 'kick', { clientId: 'c2' })).toEqual({ kicked: true });
    expect(await answerPeer(n, 'kick', { clientId: 'c2' })).toEqual({ kicked: false });
    expect(await answerPeer(n, 'deleteSession', { clientId: 'c0' })).toEqual({ deleted: true });
    expect(await answerPeer(n, 'setLogLevel', { level: 'trace' })).toEqual({ level: 'trace' });
    expect(n.logLevel).toBe('trace');
    expect(await answerPeer(n, 'drain', { ratePerSecond: 0, serverReference: '' })).toEqual({ draining: true });
    expect(n.drains).toEqual([{}]);
    n.rebalanceMoves = 7;
    expect(await answerPeer(n, 'rebalance', {})).toEqual({ moved: 7 });
    expect(n.calls.filter((c) => c === 'rebalance')).toHaveLength(1);
  });

  test('lists come sorted, after the cursor, cut to the limit', async () => {
    const n = node();
    const ids = async (args: object) =>
      ((await answerPeer(n, 'clients', args)) as { clientId: string }[]).map((c) => c.clientId);
    expect(await ids({ filter: {}, limit: 10 })).toEqual(['c1', 'c2', 'c3']);
    expect(await ids({ filter: {}, limit: 2 })).toEqual(['c1', 'c2']);
    expect(await ids({ filter: {}, after: ['c1', 'node-b'], limit: 10 })).toEqual(['c2', 'c3']);
    // Same client id, earlier node: this node's entry comes after the cursor.
    expect(await ids({ filter: {}, after: ['c2', 'node-a'], limit: 10 })).toEqual(['c2', 'c3']);
    expect(await ids({ filter: { username: 'u' }, limit: 10 })).toEqual(['c3']);
    const subs = (await answerPeer(n, 'subscriptions', { filter: { clientIdPrefix: 'c1' }, limit: 10 })) as {
      filter: string;
    }[];
    expect(subs.map((s) => s.filter)).toEqual(['a/#', 'b/#']);
  });

  test.each([
    ['clients', null, /arguments must be an object/],
    ['clients', [], /arguments must be an object/],
    ['clients', { filter: 'x' }, /'filter' must be an object/],
    ['clients', { filter: { username: 7 } }, /'username' must be a string/],
    ['clients', { filter: {}, limit: -1 }, /'limit' must be a whole number/],
    ['clients', { filter: {}, limit: 1.5 }, /'limit' must be a whole number/],
    ['clients', { filter: {}, after: ['only-one'] }, /'after' must be a list of 2 strings/],
    ['subscriptions', { filter: {}, after: ['a', 'b', 3] }, /'after' must be a list of 3 strings/],
    ['session', {}, /'clientId' is required/],
    ['kick', { clientId: '' }, /'clientId' is required/],
    ['setLogLevel', { level: 'loud' }, /unknown log level 'loud'/],
    ['drain', { ratePerSecond: 'fast' }, /'ratePerSecond' must be a whole number/],
    ['rebalance', null, /arguments must be an object/],
  ])('%s rejects %j', async (method, args, message) => {
    const n = node();
    await expect(answerPeer(n, method, args)).rejects.toThrow(message);
    expect(n.calls.filter((c) => c !== 'status')).toEqual([]);
  });
});

describe('pagination', () => {
  test('keys order by code unit, element by element', () => {
    expect(compareKeys(['a', 'z'], ['b', 'a'])).toBeLessThan(0);
    expect(compareKeys(['B'], ['a'])).toBeLessThan(0);
    expect(compareKeys(['a', 'n1'], ['a', 'n1'])).toBe(0);
  });

  test('tokens round-trip and are tied to their list', () => {
    const token = encodePageToken('clients', ['c/1', 'node-a']);
    expect(decodePageToken('clients', token, 2)).toEqual(['c/1', 'node-a']);
    expect(decodePageToken('clients', '', 2)).toBeUndefined();
    expect(() => decodePageToken('subscriptions', token, 2)).toThrow(/page_token is not valid/);
    expect(() => decodePageToken('clients', token, 3)).toThrow(/page_token is not valid/);
    expect(() => decodePageToken('clients', '%%%', 2)).toThrow(/page_token is not valid/);
  });

  test('cutPage returns a token only when more entries follow', () => {
    const items = ['e', 'a', 'd', 'b', 'c'].map((id) => ({ id }));
    const key = (item: { id: string }) => [item.id];
    expect(cutPage(items, key, undefined, 2)).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextAfter: ['b'] });
    expect(cutPage(items, key, ['b'], 3)).toEqual({
      items: [{ id: 'c' }, { id: 'd' }, { id: 'e' }],
      nextAfter: undefined,
    });
  });
});
