/** Retained messages, Retain Handling and Retain As Published (MQTT 5.0 §3.3.1.3, §3.8.3.1; 3.1.1 §3.3.1.3). */
import type { ProtocolVersion } from '@flockmq/protocol';
import {
  ack,
  expectDisconnect,
  expectNoPublish,
  ping,
  publish,
  publishes,
  sub,
  subscribe,
  unreadPublishes,
  uniqueId,
  useWorlds,
  persistent,
  leave,
} from './helpers';

const start = useWorlds();

describe('storing, replacing and clearing', () => {
  test.each([5, 4, 3] as const)(
    'retain - [MQTT-3.3.1-5] [MQTT-3.3.1-5 (3.1.1)] [MQTT-3.3.1-8 (3.1.1)] a retained message is stored and sent to a later subscriber with RETAIN 1 (level %i)',
    async (version: ProtocolVersion) => {
      const w = await start();
      const publisher = await w.raw({ protocolVersion: version });
      await publish(publisher, 'r/stored', 'kept', { qos: 1, retain: true });
      const subscriber = await w.raw({ protocolVersion: version });
      await subscribe(subscriber, sub('r/stored', 1));
      const p = await subscriber.next('publish');
      expect(p).toMatchObject({ topic: 'r/stored', retain: true, qos: 1 });
      expect(p.payload.toString()).toBe('kept');
    },
  );

  test('retain - [MQTT-3.3.1-5] a retained message is stored even when nobody is subscribed', async () => {
    const w = await start();
    const publisher = await w.raw();
    const ackPacket = await publish(publisher, 'r/nobody', 'kept', { qos: 1, retain: true });
    expect([0x00, 0x10]).toContain(ackPacket?.reasonCode);
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/nobody', 0));
    expect((await subscriber.next('publish')).payload.toString()).toBe('kept');
  });

  test('retain - [MQTT-3.3.1-5] a new retained message replaces the previous one on the same topic', async () => {
    const w = await start();
    const publisher = await w.raw();
    await publish(publisher, 'r/replace', 'old', { qos: 1, retain: true });
    await publish(publisher, 'r/replace', 'new', { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/replace', 1));
    expect((await subscriber.next('publish')).payload.toString()).toBe('new');
    await expectNoPublish(subscriber);
  });

  test('retain - [MQTT-3.3.1-6] [MQTT-3.3.1-7] [MQTT-3.3.1-10 (3.1.1)] [MQTT-3.3.1-11 (3.1.1)] an empty retained message is delivered as normal, clears the topic and is not stored', async () => {
    const w = await start();
    const publisher = await w.raw();
    await publish(publisher, 'r/clear', 'to-clear', { qos: 1, retain: true });
    const existing = await w.raw();
    await subscribe(existing, sub('r/clear', 1));
    expect((await existing.next('publish')).payload.toString()).toBe('to-clear');
    await publish(publisher, 'r/clear', Buffer.alloc(0), { qos: 1, retain: true });
    const live = await existing.next('publish');
    expect(live.payload.length).toBe(0);
    const later = await w.raw();
    await subscribe(later, sub('r/#', 1));
    await expectNoPublish(later);
  });

  test('retain - [MQTT-3.3.1-8] [MQTT-3.3.1-12 (3.1.1)] a PUBLISH with RETAIN 0 neither stores, replaces nor removes the retained message', async () => {
    const w = await start();
    const publisher = await w.raw();
    await publish(publisher, 'r/keep', 'retained', { qos: 1, retain: true });
    await publish(publisher, 'r/keep', 'not-retained', { qos: 1 });
    await publish(publisher, 'r/keep', Buffer.alloc(0), { qos: 1 });
    await publish(publisher, 'r/other', 'not-retained', { qos: 1 });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/#', 1));
    const p = await subscriber.next('publish');
    expect([p.topic, p.payload.toString()]).toEqual(['r/keep', 'retained']);
    await expectNoPublish(subscriber);
  });

  test('retain - [MQTT-3.3.1-7 (3.1.1)] a QoS 0 retained message discards the message retained before it', async () => {
    const w = await start();
    const publisher = await w.raw({ protocolVersion: 4 });
    await publish(publisher, 'r/q0', 'qos1', { qos: 1, retain: true });
    await publish(publisher, 'r/q0', 'qos0', { qos: 0, retain: true });
    const subscriber = await w.raw({ protocolVersion: 4 });
    await subscribe(subscriber, sub('r/q0', 1));
    await ping(subscriber);
    expect(unreadPublishes(subscriber).map((p) => p.payload.toString())).not.toContain('qos1');
  });

  test('retain - [MQTT-3.3.1-6 (3.1.1)] a wildcard subscription gets the retained message of every matching topic, and only those', async () => {
    const w = await start();
    const publisher = await w.raw();
    for (const topic of ['r/w/a', 'r/w/b', 'r/w/c/d', 'r/x/a'])
      await publish(publisher, topic, topic, { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/w/+', 1));
    const got = await publishes(subscriber, 2);
    expect(got.map((p) => p.topic).sort()).toEqual(['r/w/a', 'r/w/b']);
    expect(got.every((p) => p.retain)).toBe(true);
    await expectNoPublish(subscriber);
  });

  test.each([
    [2, 1, 1],
    [1, 2, 1],
    [0, 2, 0],
    [2, 0, 0],
  ] as const)(
    'retain - [MQTT-3.8.4-8] a retained QoS %i message is sent to a QoS %i subscription at QoS %i',
    async (published, granted, expected) => {
      const w = await start();
      await publish(await w.raw(), 'r/qos', 'm', { qos: published, retain: true });
      const subscriber = await w.raw();
      await subscribe(subscriber, sub('r/qos', granted));
      expect((await subscriber.next('publish')).qos).toBe(expected);
    },
  );

  test.each([5, 4] as const)(
    'retain - [MQTT-3.1.2-7 (3.1.1)] retained messages are not part of the session: they outlive the publisher and its session (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const clientId = uniqueId('gone');
      const publisher = await w.raw({ clientId, protocolVersion });
      await publish(publisher, 'r/outlive', 'still-here', { qos: 1, retain: true });
      await leave(w, publisher, clientId);
      // The session is gone, not merely disconnected.
      expect((await w.connect({ clientId, protocolVersion, clean: false })).connack.sessionPresent).toBe(false);
      const subscriber = await w.raw({ protocolVersion });
      await subscribe(subscriber, sub('r/outlive', 1));
      expect((await subscriber.next('publish')).payload.toString()).toBe('still-here');
    },
  );

  test('retain - [MQTT-3.3.4-3] a retained message sent on subscribe carries the Subscription Identifier of that subscription', async () => {
    const w = await start();
    await publish(await w.raw(), 'r/subid', 'm', { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/subid', 1), { subscriptionIdentifiers: [42] });
    expect((await subscriber.next('publish')).properties?.subscriptionIdentifiers).toEqual([42]);
  });
});

describe('Retain Handling', () => {
  test('retain - [MQTT-3.3.1-9] [MQTT-3.8.4-4] Retain Handling 0 sends retained messages on every SUBSCRIBE, also when the subscription exists', async () => {
    const w = await start();
    await publish(await w.raw(), 'r/rh0', 'm', { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/rh0', 1, { retainHandling: 0 }));
    expect((await subscriber.next('publish')).retain).toBe(true);
    await subscribe(subscriber, sub('r/rh0', 1, { retainHandling: 0 }));
    expect((await subscriber.next('publish')).retain).toBe(true);
  });

  test('retain - [MQTT-3.8.4-3 (3.1.1)] a 3.1.1 re-subscribe to an existing filter re-sends the retained messages', async () => {
    const w = await start();
    await publish(await w.raw(), 'r/re', 'm', { qos: 1, retain: true });
    const subscriber = await w.raw({ protocolVersion: 4 });
    await subscribe(subscriber, sub('r/re', 1));
    await subscriber.next('publish');
    await subscribe(subscriber, sub('r/re', 1));
    expect((await subscriber.next('publish')).retain).toBe(true);
  });

  test('retain - [MQTT-3.3.1-10] Retain Handling 1 sends retained messages only when the subscription is new', async () => {
    const w = await start();
    await publish(await w.raw(), 'r/rh1', 'm', { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/rh1', 1, { retainHandling: 1 }));
    expect((await subscriber.next('publish')).retain).toBe(true);
    await subscribe(subscriber, sub('r/rh1', 1, { retainHandling: 1 }));
    await expectNoPublish(subscriber);
  });

  test('retain - [MQTT-3.3.1-10] Retain Handling 1: a subscription kept in a resumed session is not new', async () => {
    const w = await start();
    await publish(await w.raw(), 'r/rh1s', 'm', { qos: 1, retain: true });
    const clientId = uniqueId('rh1');
    const first = await persistent(w, clientId);
    await subscribe(first, sub('r/rh1s', 1, { retainHandling: 1 }));
    await ack(first, await first.next('publish'));
    await leave(w, first, clientId);
    const again = await persistent(w, clientId);
    await subscribe(again, sub('r/rh1s', 1, { retainHandling: 1 }));
    await expectNoPublish(again);
  });

  test('retain - [MQTT-3.3.1-11] Retain Handling 2 never sends retained messages on subscribe, but live messages flow', async () => {
    const w = await start();
    const publisher = await w.raw();
    await publish(publisher, 'r/rh2', 'old', { qos: 1, retain: true });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/rh2', 1, { retainHandling: 2 }));
    await expectNoPublish(subscriber);
    await publish(publisher, 'r/rh2', 'live', { qos: 1 });
    expect((await subscriber.next('publish')).payload.toString()).toBe('live');
  });
});

describe('Retain As Published', () => {
  test('retain - [MQTT-3.3.1-12] with Retain As Published 0 a live retained message is forwarded with RETAIN 0', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/rap', 1, { retainAsPublished: false }));
    await publish(await w.raw(), 'r/rap', 'm', { qos: 1, retain: true });
    expect((await subscriber.next('publish')).retain).toBe(false);
  });

  test('retain - [MQTT-3.3.1-13] with Retain As Published 1 the RETAIN flag is forwarded as published', async () => {
    const w = await start();
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/rap', 1, { retainAsPublished: true }));
    const publisher = await w.raw();
    await publish(publisher, 'r/rap', 'retained', { qos: 1, retain: true });
    await publish(publisher, 'r/rap', 'plain', { qos: 1 });
    const got = await publishes(subscriber, 2);
    expect(got.map((p) => [p.payload.toString(), p.retain])).toEqual([
      ['retained', true],
      ['plain', false],
    ]);
  });

  test('retain - [MQTT-3.3.1-9 (3.1.1)] a 3.1.1 subscriber gets RETAIN 0 on a retained message matching an established subscription', async () => {
    const w = await start();
    const subscriber = await w.raw({ protocolVersion: 4 });
    await subscribe(subscriber, sub('r/live311', 1));
    await publish(await w.raw({ protocolVersion: 4 }), 'r/live311', 'm', { qos: 1, retain: true });
    expect((await subscriber.next('publish')).retain).toBe(false);
  });
});

describe('Retain Available 0', () => {
  test('retain - [MQTT-3.2.2-14] when retain is not available, a PUBLISH with RETAIN 1 gets DISCONNECT 0x9A and is not delivered', async () => {
    const w = await start({ limits: { retainAvailable: false } });
    const subscriber = await w.raw();
    await subscribe(subscriber, sub('r/na', 1));
    const { client, connack } = await w.connect();
    expect(connack.properties?.retainAvailable).toBe(0);
    client.send({
      type: 'publish',
      topic: 'r/na',
      payload: Buffer.from('x'),
      qos: 1,
      packetId: 1,
      retain: true,
      dup: false,
    });
    await expectDisconnect(client, 0x9a);
    await publish(await w.raw(), 'r/na', 'marker', { qos: 1 });
    expect((await subscriber.next('publish')).payload.toString()).toBe('marker');
  });
});
