/** MovedSessions: which recently moved sessions a message that arrives by their old routes is for. */
import { MovedSessions } from '../src/cluster/moved-sessions';
import type { Clock } from '../src/clock';

let now = 1_000_000;
const clock: Clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => undefined };

function found(moved: MovedSessions, topic: string, onlyClient?: string): [string, string][] {
  const out: [string, string][] = [];
  moved.matching(topic, onlyClient, (clientId, nodeId) => out.push([clientId, nodeId]));
  return out.sort();
}

test('moved sessions - a message matching a moved session is for its new node, once however many filters match', () => {
  const moved = new MovedSessions(clock);
  moved.remember('c1', 'node-b', ['s/#', 's/+/temp', '$share/g/s/#']);
  moved.remember('c2', 'node-c', ['other/#']);
  expect(found(moved, 's/kitchen/temp')).toEqual([['c1', 'node-b']]);
  expect(found(moved, 'other/x')).toEqual([['c2', 'node-c']]);
  expect(found(moved, 'nothing')).toEqual([]);
  expect(found(moved, 's/kitchen/temp', 'c2')).toEqual([]);
  expect(found(moved, 's/kitchen/temp', 'c1')).toEqual([['c1', 'node-b']]);
});

test('moved sessions - shared subscriptions are not passed on; a session back here or moved again is updated', () => {
  const moved = new MovedSessions(clock);
  moved.remember('c1', 'node-b', ['$share/g/s/#']);
  expect(found(moved, 's/x')).toEqual([]);
  moved.remember('c1', 'node-b', ['s/#']);
  moved.remember('c1', 'node-c', ['t/#']);
  expect(found(moved, 's/x')).toEqual([]);
  expect(found(moved, 't/x')).toEqual([['c1', 'node-c']]);
  moved.forget('c1');
  expect(found(moved, 't/x')).toEqual([]);
});

test('moved sessions - a move is remembered for 10 s only', () => {
  const moved = new MovedSessions(clock);
  moved.remember('c1', 'node-b', ['s/#']);
  now += 9_999;
  expect(found(moved, 's/x')).toEqual([['c1', 'node-b']]);
  now += 1;
  expect(found(moved, 's/x')).toEqual([]);
  moved.remember('c2', 'node-b', ['s/#']); // prunes the expired one
  expect(found(moved, 's/x')).toEqual([['c2', 'node-b']]);
});
