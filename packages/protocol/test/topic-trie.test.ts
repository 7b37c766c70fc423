import fc from 'fast-check';
import { FlockError } from '../src/errors';
import { topicFilterError, topicMatches, topicNameError } from '../src/topic';
import { TopicTrie } from '../src/topic-trie';

/** The filters whose values `match` visits, sorted; fails on a filter visited twice. */
const matched = <V>(trie: TopicTrie<V>, topic: string): string[] => {
  const seen: string[] = [];
  trie.match(topic, (value, filter) => {
    expect(trie.get(filter)).toBe(value);
    seen.push(filter);
  });
  expect(new Set(seen).size).toBe(seen.length);
  return seen.sort();
};

const trieOf = (filters: string[]): TopicTrie<string> => {
  const trie = new TopicTrie<string>();
  for (const filter of filters) trie.set(filter, `v:${filter}`);
  return trie;
};

/** White-box view of the root, to check that deletes prune. */
interface RootView {
  root: { children: Map<string, unknown> | undefined; plus: unknown; hash: unknown; filter: unknown };
}
const rootIsEmpty = (trie: TopicTrie<unknown>): boolean => {
  const { root } = trie as unknown as RootView;
  return root.children === undefined && root.plus === undefined && root.hash === undefined && root.filter === undefined;
};

// ---------------------------------------------------------------------------------------------
// Map behaviour
// ---------------------------------------------------------------------------------------------

test('topic - trie set, get, has and size', () => {
  const trie = new TopicTrie<number>();
  expect(trie.size).toBe(0);
  trie.set('a/b', 1);
  trie.set('a/+', 2);
  trie.set('#', 3);
  expect(trie.size).toBe(3);
  expect(trie.get('a/b')).toBe(1);
  expect(trie.get('a/+')).toBe(2);
  expect(trie.get('#')).toBe(3);
  expect(trie.has('a')).toBe(false);
  expect(trie.has('a/#')).toBe(false);
  expect(trie.get('a')).toBeUndefined();
  expect(trie.get('+/b')).toBeUndefined();
});

test('topic - trie set replaces the value of an existing filter', () => {
  const trie = new TopicTrie<number>();
  trie.set('a/+', 1);
  trie.set('a/+', 2);
  trie.set('a', 1);
  trie.set('a', 2);
  expect(trie.size).toBe(2);
  expect(trie.get('a/+')).toBe(2);
  expect(trie.get('a')).toBe(2);
});

test('topic - trie keeps filters differing only in empty levels apart', () => {
  const filters = ['a', 'a/', '/a', 'a//b', 'a/b', '/', '//', '+/', '/+', '+//+'];
  const trie = trieOf(filters);
  expect(trie.size).toBe(filters.length);
  for (const filter of filters) expect(trie.get(filter)).toBe(`v:${filter}`);
});

test('topic - trie stores undefined values', () => {
  const trie = new TopicTrie<undefined>();
  trie.set('a', undefined);
  trie.set('a/+', undefined);
  expect(trie.has('a')).toBe(true);
  expect(trie.has('a/+')).toBe(true);
  expect(matched(trie, 'a')).toEqual(['a']);
  expect(matched(trie, 'a/x')).toEqual(['a/+']);
});

test('topic - trie delete returns whether the filter was stored', () => {
  const trie = trieOf(['a/b', 'a/+/c']);
  expect(trie.delete('a')).toBe(false);
  expect(trie.delete('a/+')).toBe(false);
  expect(trie.delete('a/+/c/d')).toBe(false);
  expect(trie.delete('a/+/c')).toBe(true);
  expect(trie.delete('a/+/c')).toBe(false);
  expect(trie.delete('a/b')).toBe(true);
  expect(trie.size).toBe(0);
});

test('topic - trie delete keeps filters sharing a prefix', () => {
  const trie = trieOf(['a/+', 'a/+/b', 'a/+/#', 'a/#']);
  trie.delete('a/+');
  expect(matched(trie, 'a/x/b')).toEqual(['a/#', 'a/+/#', 'a/+/b']);
  trie.delete('a/+/b');
  expect(matched(trie, 'a/x/b')).toEqual(['a/#', 'a/+/#']);
  expect(matched(trie, 'a/x')).toEqual(['a/#', 'a/+/#']);
});

test('topic - trie delete prunes empty nodes', () => {
  const filters = ['a/+/b/#', '+/+', '#', 'a/b', '+/a//+', '$SYS/+'];
  const trie = trieOf(filters);
  for (const filter of filters) trie.delete(filter);
  expect(trie.size).toBe(0);
  expect([...trie.entries()]).toEqual([]);
  expect(rootIsEmpty(trie)).toBe(true);
});

test('topic - [MQTT-4.7.1-2] trie set refuses a filter with # before the last level', () => {
  const trie = new TopicTrie<number>();
  for (const filter of ['a/#/b', '#/', '#/#']) {
    expect(() => trie.set(filter, 1)).toThrow(FlockError);
    expect(() => trie.set(filter, 1)).toThrow(expect.objectContaining({ code: 'FLOCK_ERR_TOPIC_FILTER_INVALID' }));
  }
  expect(trie.size).toBe(0);
  expect(trie.has('a/#/b')).toBe(false);
  expect(trie.delete('a/#/b')).toBe(false);
});

test('topic - trie entries lists every filter with its value', () => {
  const filters = ['a', 'a/b', 'a/+', '#', '+/#', '', '/'];
  const trie = trieOf(filters);
  const entries = [...trie.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  expect(entries).toEqual(filters.sort().map((f) => [f, `v:${f}`]));
});

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

test('topic - trie matches exact and wildcard filters', () => {
  const trie = trieOf([
    'sport/tennis/player1',
    'sport/tennis/player1/#',
    'sport/tennis/+',
    'sport/#',
    '+/+/+',
    'sport/tennis/player2',
    'sport/+/player2',
  ]);
  expect(matched(trie, 'sport/tennis/player1')).toEqual([
    '+/+/+',
    'sport/#',
    'sport/tennis/+',
    'sport/tennis/player1',
    'sport/tennis/player1/#',
  ]);
  expect(matched(trie, 'sport/tennis/player1/ranking')).toEqual(['sport/#', 'sport/tennis/player1/#']);
  expect(matched(trie, 'news')).toEqual([]);
});

test('topic - [MQTT-4.7.1-2] trie: # matches the parent level', () => {
  const trie = trieOf(['sport/#', 'sport/tennis/#']);
  expect(matched(trie, 'sport')).toEqual(['sport/#']);
  expect(matched(trie, 'sport/tennis')).toEqual(['sport/#', 'sport/tennis/#']);
  expect(matched(trie, 'sports')).toEqual([]);
});

test('topic - trie: # at the root matches every topic not starting with $', () => {
  const trie = trieOf(['#']);
  for (const topic of ['a', '/', 'a/b/c', '//', 'a/$SYS']) expect(matched(trie, topic)).toEqual(['#']);
  expect(matched(trie, '$SYS/uptime')).toEqual([]);
});

test('topic - [MQTT-4.7.1-2] [MQTT-4.7.1-3 (3.1.1)] trie: + matches one level, which may be empty', () => {
  const trie = trieOf(['+', 'a/+', '+/+', 'a/+/b']);
  expect(matched(trie, 'a')).toEqual(['+']);
  expect(matched(trie, 'a/')).toEqual(['+/+', 'a/+']);
  expect(matched(trie, '/')).toEqual(['+/+']);
  expect(matched(trie, 'a//b')).toEqual(['a/+/b']);
  expect(matched(trie, 'a/x/y')).toEqual([]);
});

test('topic - [MQTT-4.7.2-1] trie: $-topics are not matched by leading wildcards', () => {
  const trie = trieOf(['#', '+', '+/monitor/Clients', '+/#', '$SYS/#', '$SYS/monitor/+', '$SYS/monitor/Clients']);
  expect(matched(trie, '$SYS/monitor/Clients')).toEqual(['$SYS/#', '$SYS/monitor/+', '$SYS/monitor/Clients']);
  expect(matched(trie, '$SYS')).toEqual(['$SYS/#']);
  expect(matched(trie, 'x/monitor/Clients')).toEqual(['#', '+/#', '+/monitor/Clients']);
});

test('topic - trie match visits a filter deleted by an earlier visit not at all', () => {
  const trie = trieOf(['a/b', 'a/+', 'a/#', '+/b', '#']);
  const seen: string[] = [];
  trie.match('a/b', (_, filter) => {
    seen.push(filter);
    for (const other of ['a/b', 'a/+', 'a/#', '+/b', '#']) if (other !== filter) trie.delete(other);
  });
  expect(seen).toHaveLength(1);
  expect(trie.size).toBe(1);
});

test('topic - trie match may be called from within a visit', () => {
  const trie = trieOf(['a/+', 'a/#', '+/b']);
  const outer: string[] = [];
  const inner: string[] = [];
  trie.match('a/b', (_, filter) => {
    outer.push(filter);
    trie.match('a/c', (__, f) => inner.push(f));
  });
  expect(outer.sort()).toEqual(['+/b', 'a/#', 'a/+']);
  expect(inner.sort()).toEqual(['a/#', 'a/#', 'a/#', 'a/+', 'a/+', 'a/+']);
});

test('topic - trie handles filters deeper than the call stack', () => {
  const depth = 100_000;
  const filter = Array.from({ length: depth }, () => '+').join('/');
  const trie = trieOf([filter, `${filter}/#`]);
  const topic = Array.from({ length: depth }, () => 'x').join('/');
  expect(matched(trie, topic)).toEqual([filter, `${filter}/#`]);
  expect(trie.delete(filter)).toBe(true);
  expect(trie.delete(`${filter}/#`)).toBe(true);
  expect(rootIsEmpty(trie)).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// Properties: the trie agrees with the reference matcher and with a Map model
// ---------------------------------------------------------------------------------------------

const topicLevel = fc.constantFrom('', '$SYS', 'a', 'b');
const filterLevel = fc.constantFrom('', '$SYS', 'a', 'b', '+');
/** Topic names of 1 to 4 levels; '' alone is left out, since a topic name is not empty [MQTT-4.7.3-1]. */
const topicArb = fc
  .array(topicLevel, { minLength: 1, maxLength: 4 })
  .map((levels) => levels.join('/'))
  .filter((topic) => topic !== '');
/** Filters of up to 4 levels of '', '$SYS', 'a', 'b' and '+', with or without a last '#' level. */
const filterArb = fc
  .tuple(fc.array(filterLevel, { maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((filter) => filter !== '');

test('topic - the generators produce valid topic names and filters', () => {
  fc.assert(
    fc.property(topicArb, filterArb, (topic, filter) => {
      expect(topicNameError(topic)).toBeUndefined();
      expect(topicFilterError(filter)).toBeUndefined();
    }),
  );
});

test('topic - trie match returns exactly the filters topicMatches accepts', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(filterArb, { maxLength: 40 }),
      fc.array(topicArb, { maxLength: 10 }),
      (filters, topics) => {
        const trie = trieOf(filters);
        for (const topic of topics) {
          expect(matched(trie, topic)).toEqual(filters.filter((f) => topicMatches(f, topic)).sort());
        }
      },
    ),
    { numRuns: 1000 },
  );
});

type Op = { kind: 'set'; filter: string; value: number } | { kind: 'delete'; filter: string };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), filter: filterArb, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), filter: filterArb }),
);

test('topic - trie set, delete and size agree with a Map model, and deleting everything empties it', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(topicArb, { maxLength: 8 }), (ops, topics) => {
      const trie = new TopicTrie<number>();
      const model = new Map<string, number>();
      for (const op of ops) {
        if (op.kind === 'set') {
          trie.set(op.filter, op.value);
          model.set(op.filter, op.value);
        } else {
          expect(trie.delete(op.filter)).toBe(model.delete(op.filter));
        }
        expect(trie.size).toBe(model.size);
      }
      expect(new Map(trie.entries())).toEqual(model);
      for (const filter of model.keys()) expect(trie.get(filter)).toBe(model.get(filter));
      for (const topic of topics) {
        const expected = [...model.keys()].filter((f) => topicMatches(f, topic)).sort();
        expect(matched(trie, topic)).toEqual(expected);
      }
      for (const filter of model.keys()) expect(trie.delete(filter)).toBe(true);
      expect(trie.size).toBe(0);
      expect([...trie.entries()]).toEqual([]);
      expect(rootIsEmpty(trie)).toBe(true);
    }),
    { numRuns: 500 },
  );
});
