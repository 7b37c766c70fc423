import fc from 'fast-check';
import { isWildcardFilter, parseSharedFilter, topicFilterError, topicMatches, topicNameError } from '../src/topic';

// ---------------------------------------------------------------------------------------------
// Topic names
// ---------------------------------------------------------------------------------------------

test('topic - [MQTT-4.7.3-1] an empty topic name is invalid', () => {
  expect(topicNameError('')).toBeDefined();
});

test('topic - [MQTT-3.3.2-2] [MQTT-4.7.1-1] a topic name must not contain wildcards', () => {
  for (const topic of ['+', '#', 'a/+', 'a/#', 'a+', 'a/b#', '+/a']) {
    expect(topicNameError(topic)).toBeDefined();
  }
});

test('topic - [MQTT-4.7.3-2] a topic name must not contain the null character', () => {
  expect(topicNameError('a/\u0000/b')).toBeDefined();
});

test('topic - empty levels make valid, distinct topic names', () => {
  for (const topic of ['/', 'a//b', '/a', 'a/', '//', ' ', 'a b/c']) {
    expect(topicNameError(topic)).toBeUndefined();
  }
});

test('topic - [MQTT-4.7.2-1] topic names may start with $', () => {
  expect(topicNameError('$SYS/broker/uptime')).toBeUndefined();
  expect(topicNameError('$')).toBeUndefined();
});

test('topic - a topic name has at most maxTopicLevels levels', () => {
  expect(topicNameError('a/b/c', { maxTopicLevels: 3 })).toBeUndefined();
  expect(topicNameError('a/b/c/', { maxTopicLevels: 3 })).toBeDefined();
  expect(topicNameError('//', { maxTopicLevels: 2 })).toBeDefined();
  expect(topicNameError('a/'.repeat(1000) + 'a')).toBeUndefined();
});

test('topic - a topic name is at most maxLength UTF-8 bytes, 65535 by default', () => {
  expect(topicNameError('a'.repeat(65535))).toBeUndefined();
  expect(topicNameError('a'.repeat(65536))).toBeDefined();
  // 'é' is one UTF-16 code unit but two UTF-8 bytes; '😀' is two code units and four bytes.
  expect(topicNameError('é'.repeat(32767))).toBeUndefined();
  expect(topicNameError('é'.repeat(32768))).toBeDefined();
  expect(topicNameError('ééé', { maxLength: 6 })).toBeUndefined();
  expect(topicNameError('ééé', { maxLength: 5 })).toBeDefined();
  expect(topicNameError('😀', { maxLength: 4 })).toBeUndefined();
  expect(topicNameError('😀', { maxLength: 3 })).toBeDefined();
  expect(topicNameError('€€', { maxLength: 6 })).toBeUndefined();
  expect(topicNameError('€€', { maxLength: 5 })).toBeDefined();
});

// ---------------------------------------------------------------------------------------------
// Topic filters
// ---------------------------------------------------------------------------------------------

test('topic - [MQTT-4.7.3-1] an empty topic filter is invalid', () => {
  expect(topicFilterError('')).toBeDefined();
});

test('topic - well-formed filters with wildcards are valid', () => {
  const valid = [
    'sport/tennis/player1/#',
    'sport/#',
    '#',
    '+',
    '+/+',
    '/+',
    '+/',
    '+/tennis/#',
    'sport/+/player1',
    'a//b',
    '/',
    'a/+/+/#',
    '$SYS/#',
    '$share',
    '$sharex/a',
  ];
  for (const filter of valid) expect(topicFilterError(filter)).toBeUndefined();
});

test('topic - [MQTT-4.7.1-2] # must be the last level and alone in its level', () => {
  for (const filter of ['sport/tennis/#/ranking', 'sport/tennis#', '#/', '#/a', '##', 'a/#b', 'a/b#/c']) {
    expect(topicFilterError(filter)).toBeDefined();
  }
});

test('topic - [MQTT-4.7.1-2] [MQTT-4.7.1-3 (3.1.1)] + must be alone in its level', () => {
  for (const filter of ['sport+', '+sport', 'sport/+tennis', 'a/++', 'a/+b/c', '+#']) {
    expect(topicFilterError(filter)).toBeDefined();
  }
});

test('topic - [MQTT-4.7.3-2] a topic filter must not contain the null character', () => {
  expect(topicFilterError('a/\u0000')).toBeDefined();
  expect(topicFilterError('$share/g\u0000/a')).toBeDefined();
});

test('topic - a topic filter has at most maxTopicLevels levels and maxLength bytes', () => {
  expect(topicFilterError('+/+/#', { maxTopicLevels: 3 })).toBeUndefined();
  expect(topicFilterError('+/+/+/#', { maxTopicLevels: 3 })).toBeDefined();
  expect(topicFilterError('a'.repeat(65535))).toBeUndefined();
  expect(topicFilterError('a'.repeat(65536))).toBeDefined();
  expect(topicFilterError('é/#', { maxLength: 4 })).toBeUndefined();
  expect(topicFilterError('é/#', { maxLength: 3 })).toBeDefined();
});

// ---------------------------------------------------------------------------------------------
// Shared subscriptions
// ---------------------------------------------------------------------------------------------

test('topic - [MQTT-4.8.2-1] a shared filter has a non-empty share name', () => {
  expect(topicFilterError('$share/')).toBeDefined();
  expect(topicFilterError('$share//a')).toBeDefined();
  expect(topicFilterError('$share/g/a')).toBeUndefined();
});

test('topic - [MQTT-4.8.2-2] a share name has no wildcards and is followed by / and a filter', () => {
  for (const filter of ['$share/g+/a', '$share/+/a', '$share/g#/a', '$share/#/a', '$share/g', '$share/g/']) {
    expect(topicFilterError(filter)).toBeDefined();
  }
});

test('topic - the filter of a shared filter follows the filter rules', () => {
  for (const filter of ['$share/g/#', '$share/g/+/x', '$share/g//', '$share/g/$SYS/#', '$share/g/$share/h/a']) {
    expect(topicFilterError(filter)).toBeUndefined();
  }
  for (const filter of ['$share/g/a/#/b', '$share/g/a+', '$share/g/#/']) {
    expect(topicFilterError(filter)).toBeDefined();
  }
});

test('topic - the level limit of a shared filter counts the levels after the share name', () => {
  expect(topicFilterError('$share/group/a/b', { maxTopicLevels: 2 })).toBeUndefined();
  expect(topicFilterError('$share/group/a/b/c', { maxTopicLevels: 2 })).toBeDefined();
});

test('topic - parseSharedFilter splits $share/{group}/{filter}', () => {
  expect(parseSharedFilter('$share/consumers/sport/tennis/+')).toEqual({
    group: 'consumers',
    filter: 'sport/tennis/+',
  });
  expect(parseSharedFilter('$share/g/#')).toEqual({ group: 'g', filter: '#' });
  expect(parseSharedFilter('$share/g//')).toEqual({ group: 'g', filter: '/' });
  expect(parseSharedFilter('$share/g/$share/h/a')).toEqual({ group: 'g', filter: '$share/h/a' });
});

test('topic - parseSharedFilter returns undefined for filters that are not shared', () => {
  for (const filter of ['sport/#', '$share', '$sharex/g/a', '$SYS/#', 'share/g/a', '$Share/g/a']) {
    expect(parseSharedFilter(filter)).toBeUndefined();
  }
});

test('topic - isWildcardFilter tells filters with + or # apart', () => {
  for (const filter of ['#', '+', 'a/+/b', 'a/#', '$share/g/+']) expect(isWildcardFilter(filter)).toBe(true);
  for (const filter of ['a', 'a/b', '/', '$SYS/x', '$share/g/a']) expect(isWildcardFilter(filter)).toBe(false);
});

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

const expectMatch = (filter: string, topic: string, expected: boolean): void => {
  expect({ filter, topic, matches: topicMatches(filter, topic) }).toEqual({
    filter,
    topic,
    matches: expected,
  });
};

test('topic - a filter without wildcards matches only the identical topic', () => {
  expectMatch('sport/tennis', 'sport/tennis', true);
  expectMatch('sport/tennis', 'sport/tennis/player1', false);
  expectMatch('sport/tennis', 'sport', false);
  expectMatch('sport', 'sport/', false);
});

test('topic - topic names and filters are case sensitive', () => {
  expectMatch('ACCOUNTS', 'accounts', false);
  expectMatch('Accounts payable', 'Accounts payable', true);
});

test('topic - [MQTT-4.7.1-2] # matches the parent level and any number of child levels', () => {
  for (const topic of [
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
    'sport/tennis/player1/score/wimbledon',
    'sport/tennis/player1/',
  ]) {
    expectMatch('sport/tennis/player1/#', topic, true);
  }
  expectMatch('sport/#', 'sport', true);
  expectMatch('sport/#', 'sports', false);
  expectMatch('sport/tennis/player1/#', 'sport/tennis', false);
});

test('topic - # on its own matches every topic not starting with $', () => {
  for (const topic of ['a', '/', 'a/b/c', '//', ' ', 'a/$SYS']) expectMatch('#', topic, true);
});

test('topic - [MQTT-4.7.1-2] [MQTT-4.7.1-3 (3.1.1)] + matches exactly one level', () => {
  expectMatch('sport/tennis/+', 'sport/tennis/player1', true);
  expectMatch('sport/tennis/+', 'sport/tennis/player2', true);
  expectMatch('sport/tennis/+', 'sport/tennis/player1/ranking', false);
  expectMatch('sport/+', 'sport', false);
  expectMatch('+', 'a', true);
  expectMatch('+/+', 'a/b', true);
  expectMatch('+/+', 'a', false);
  expectMatch('+/tennis/#', 'sport/tennis/player1', true);
  expectMatch('+/tennis/#', 'sport/tennis', true);
});

test('topic - + matches an empty level', () => {
  expectMatch('sport/+', 'sport/', true);
  expectMatch('+/+', '/finance', true);
  expectMatch('/+', '/finance', true);
  expectMatch('+', '/finance', false);
  expectMatch('a/+/b', 'a//b', true);
  expectMatch('+', '', true);
});

test('topic - empty levels are distinct levels', () => {
  expectMatch('a//b', 'a/b', false);
  expectMatch('a/b', 'a//b', false);
  expectMatch('/a', 'a', false);
  expectMatch('a/', 'a', false);
  expectMatch('a/', 'a/', true);
  expectMatch('a/#', 'a/', true);
});

test('topic - [MQTT-4.7.2-1] $-topics are not matched by leading wildcards', () => {
  expectMatch('#', '$SYS/monitor/Clients', false);
  expectMatch('#', '$', false);
  expectMatch('+', '$SYS', false);
  expectMatch('+/monitor/Clients', '$SYS/monitor/Clients', false);
  expectMatch('$SYS/#', '$SYS/monitor/Clients', true);
  expectMatch('$SYS/#', '$SYS', true);
  expectMatch('$SYS/monitor/+', '$SYS/monitor/Clients', true);
  expectMatch('$SYS/monitor/Clients', '$SYS/monitor/Clients', true);
  // Only the first level is special.
  expectMatch('a/+', 'a/$SYS', true);
  expectMatch('a/#', 'a/$SYS/x', true);
});

// ---------------------------------------------------------------------------------------------
// Properties: the single-pass validators agree with naive split-based ones
// ---------------------------------------------------------------------------------------------

const chars = fc.constantFrom('a', 'b', '/', '+', '#', '$', 'é');
const smallString = fc.array(chars, { maxLength: 10 }).map((cs) => cs.join(''));

const naiveFilterValid = (filter: string): boolean => {
  if (filter === '') return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    if (level === '+') return true;
    return !level.includes('+') && !level.includes('#');
  });
};

const naiveSharedValid = (filter: string): boolean => {
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return false;
  const group = rest.slice(0, slash);
  return !group.includes('+') && !group.includes('#') && naiveFilterValid(rest.slice(slash + 1));
};

test('topic - topicNameError agrees with a naive validator on random strings', () => {
  fc.assert(
    fc.property(smallString, fc.integer({ min: 1, max: 6 }), (topic, maxTopicLevels) => {
      const naive = topic !== '' && !/[+#]/.test(topic) && topic.split('/').length <= maxTopicLevels;
      expect(topicNameError(topic, { maxTopicLevels }) === undefined).toBe(naive);
    }),
    { numRuns: 2000 },
  );
});

test('topic - topicFilterError agrees with a naive validator on random strings', () => {
  fc.assert(
    fc.property(smallString, fc.boolean(), (body, shared) => {
      const filter = shared ? `$share/${body}` : body;
      const naive = shared ? naiveSharedValid(filter) : naiveFilterValid(filter);
      expect(topicFilterError(filter) === undefined).toBe(naive);
    }),
    { numRuns: 4000 },
  );
});
