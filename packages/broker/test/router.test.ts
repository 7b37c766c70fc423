import { Router } from '../src/router';
import type { SubscriptionOptions } from '../src/backends/session-store';
import { message } from './contracts/fixtures';

const opts = (overrides: Partial<SubscriptionOptions> = {}): SubscriptionOptions => ({
  qos: 1,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0,
  subscriptionId: undefined,
  ...overrides,
});

function deliveries(router: Router, topic: string, origin = 'publisher') {
  const direct: Record<string, unknown> = {};
  const groups: string[] = [];
  router.match(
    message(topic, 'x', { origin }),
    (clientId, d) => (direct[clientId] = d),
    (g) => groups.push(g.key),
  );
  return { direct, groups };
}

test('router - [MQTT-3.3.4-2] overlapping subscriptions give one delivery with the highest QoS and every identifier', () => {
  const router = new Router();
  router.subscribe('c1', 'a/+', opts({ qos: 0, subscriptionId: 1 }));
  router.subscribe('c1', 'a/#', opts({ qos: 2, subscriptionId: 2 }));
  router.subscribe('c2', 'a/b', opts({ qos: 1 }));
  const { direct } = deliveries(router, 'a/b');
  expect(direct['c1']).toEqual({ qos: 2, retainAsPublished: false, subscriptionIds: expect.arrayContaining([1, 2]) });
  expect((direct['c1'] as { subscriptionIds: number[] }).subscriptionIds).toHaveLength(2);
  expect(direct['c2']).toEqual({ qos: 1, retainAsPublished: false, subscriptionIds: undefined });
});

test('router - [MQTT-3.8.3-3] no local skips the publisher only', () => {
  const router = new Router();
  router.subscribe('me', 't', opts({ noLocal: true }));
  router.subscribe('other', 't', opts({ noLocal: true }));
  expect(Object.keys(deliveries(router, 't', 'me').direct)).toEqual(['other']);
});

test('router - shared groups match once per group and are not direct deliveries', () => {
  const router = new Router();
  router.subscribe('m1', '$share/g/t/+', opts());
  router.subscribe('m2', '$share/g/t/+', opts());
  router.subscribe('m3', '$share/h/t/+', opts());
  const { direct, groups } = deliveries(router, 't/x');
  expect(direct).toEqual({});
  expect(groups.sort()).toEqual(['g/t/+', 'h/t/+']);
  expect(router.group('g/t/+')!.members.size).toBe(2);
});

test('router - first and last subscriber of a filter are reported, for cluster routes', () => {
  const router = new Router();
  expect(router.subscribe('a', 'x', opts())).toEqual({ isNew: true, firstForFilter: true });
  expect(router.subscribe('b', 'x', opts())).toEqual({ isNew: true, firstForFilter: false });
  expect(router.subscribe('b', 'x', opts({ qos: 2 }))).toEqual({ isNew: false, firstForFilter: false });
  expect(router.unsubscribe('a', 'x')).toEqual({ existed: true, lastForFilter: false });
  expect(router.unsubscribe('b', 'x')).toEqual({ existed: true, lastForFilter: true });
  expect(router.unsubscribe('b', 'x')).toEqual({ existed: false, lastForFilter: false });
  expect(router.filters).toBe(0);
  expect(router.subscriptions).toBe(0);
});

test('shared group - pick goes round robin over members that accept', () => {
  const router = new Router();
  for (const id of ['m1', 'm2', 'm3']) router.subscribe(id, '$share/g/t', opts());
  const group = router.group('g/t')!;
  const busy = new Set(['m2']);
  const picks = Array.from({ length: 6 }, () => group.pick(1, (id) => !busy.has(id)));
  expect(picks).toEqual(['m1', 'm3', 'm1', 'm3', 'm1', 'm3']);
  expect(group.pick(1, () => false)).toBeUndefined();
});
