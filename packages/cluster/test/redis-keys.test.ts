/** Key layout: versioned prefix, escaping of user input, one hash tag per session. */
import { KEY_PREFIX, RedisKeys, escapeKeyPart, unescapeKeyPart } from '../src/redis/keys';

/** The part of a key Redis Cluster hashes: the first {…} with something in it, else the key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

describe('redis keys', () => {
  const keys = new RedisKeys();

  test('redis keys - every key starts with the versioned prefix', () => {
    expect(KEY_PREFIX).toBe('flockmq:v1:');
    const all = [
      ...Object.values(keys.session('c')),
      keys.sessionIndex(),
      keys.ownedBy('n'),
      keys.retainShard('a'),
      keys.retainIndex(),
      keys.routes('n'),
      keys.routeIndex(),
      keys.nodeLease('n'),
      keys.nodeIndex(),
      keys.nodeCleanup('n'),
    ];
    for (const key of all) expect(key.startsWith('flockmq:v1:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  test('redis keys - a session key has the documented shape', () => {
    expect(keys.session('dev 1').meta).toBe('flockmq:v1:s:{dev 1}:meta');
  });

  test('redis keys - escaping keeps braces, colons and percent signs out of keys and tags', () => {
    for (const id of ['a{b}c', '}{', '{', '}', 'a:b', '%7B', '%', 'x}:meta', 'ü €/𝄞', ' ', '']) {
      const escaped = escapeKeyPart(id);
      expect(escaped).not.toMatch(/[{}:]/);
      expect(escaped.length).toBeGreaterThan(0);
      expect(unescapeKeyPart(escaped)).toBe(id);
    }
  });

  test('redis keys - distinct client ids never share session keys', () => {
    const ids = ['a{b}', 'a%7Bb%7D', 'a', 'a:', 'a%3A', '', '%', '%25'];
    const metas = ids.map((id) => keys.session(id).meta);
    expect(new Set(metas).size).toBe(ids.length);
  });

  test('redis keys - all keys of one session share one non-empty hash tag, even for hostile ids', () => {
    for (const id of ['plain', 'a{b}c', '}{', '{}', '', 'x}:owner{y', 'ü{€}']) {
      const tags = new Set(Object.values(keys.session(id)).map(hashTag));
      expect(tags).toEqual(new Set([escapeKeyPart(id)]));
    }
  });

  test('redis keys - node lease keys share the {nodes} tag', () => {
    for (const key of [keys.nodeLease('a{b}'), keys.nodeIndex(), keys.nodeCleanup('}')])
      expect(hashTag(key)).toBe('nodes');
  });

  test('redis keys - a namespace sits after the version and is validated', () => {
    expect(new RedisKeys('prod-eu.1').session('c').meta).toBe('flockmq:v1:prod-eu.1/s:{c}:meta');
    expect(() => new RedisKeys('a{b}')).toThrow(RangeError);
    expect(() => new RedisKeys('')).toThrow(RangeError);
  });

  test('redis keys - the retained shard of a topic is its first level', () => {
    expect(RedisKeys.retainShardOf('a/b/c')).toBe('a');
    expect(RedisKeys.retainShardOf('a')).toBe('a');
    expect(RedisKeys.retainShardOf('/a')).toBe('');
    expect(keys.retainShard('')).toBe('flockmq:v1:r:{%}');
  });
});
