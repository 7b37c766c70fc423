/** SUBSCRIBE and SUBACK (MQTT 5.0 §3.8, §3.9; 3.1.1 §3.8, §3.9). */
import { encodePacket } from '@flockmq/protocol';
import {
  ack,
  expectClosedSilently,
  expectDisconnect,
  expectNoPublish,
  expectServing,
  frame,
  ping,
  publish,
  publishes,
  strBytes,
  sub,
  subscribe,
  useWorlds,
} from './helpers';

const start = useWorlds();

describe('SUBACK', () => {
  test.each([5, 4, 3] as const)(
    'subscribe - [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-2.2.1-6] SUBACK carries the SUBSCRIBE packet identifier and the granted QoS (level %i)',
    async (protocolVersion) => {
      const w = await start();
      const c = await w.raw({ protocolVersion });
      c.send({ type: 'subscribe', packetId: 777, subscriptions: [sub('s/a', 2)] });
      const suback = await c.next('suback');
      expect(suback).toMatchObject({ packetId: 777, reasonCodes: [2] });
    },
  );

  test.each([5, 4] as const)(
    "subscribe - [MQTT-2.2.1-6] [MQTT-2.3.1-7 (3.1.1)] SUBACKs and UNSUBACKs to requests sent in one write each carry their own request's packet identifier (level %i)",
    async (protocolVersion) => {
      const w = await start();
      const c = await w.raw({ protocolVersion });
      const ids = [0x0101, 0xfffe, 5, 0x8000];
      c.sendBytes(
        Buffer.concat([
          encodePacket({ type: 'subscribe', packetId: ids[0]!, subscriptions: [sub('s/one', 1)] }, protocolVersion),
          encodePacket({ type: 'unsubscribe', packetId: ids[1]!, topicFilters: ['s/one'] }, protocolVersion),
          encodePacket({ type: 'subscribe', packetId: ids[2]!, subscriptions: [sub('s/two', 0)] }, protocolVersion),
          encodePacket({ type: 'unsubscribe', packetId: ids[3]!, topicFilters: ['s/none'] }, protocolVersion),
        ]),
      );
      const answers = [await c.next(), await c.next(), await c.next(), await c.next()];
      expect(answers.map((p) => [p.type, 'packetId' in p && p.packetId])).toEqual([
        ['suback', ids[0]],
        ['unsuback', ids[1]],
        ['suback', ids[2]],
        ['unsuback', ids[3]],
      ]);
    },
  );

  test('subscribe - [MQTT-3.8.4-5] [MQTT-3.8.4-6] [MQTT-3.8.4-7] [MQTT-3.9.3-1] [MQTT-3.9.3-2] several filters get one reason code each, in order, invalid ones 0x8F', async () => {
    const w = await start();
    const c = await w.raw();
    const suback = await subscribe(c, [
      sub('s/q0', 0),
      sub('s/#/bad', 1),
      sub('s/q2', 2),
      sub('s/q1', 1),
      sub('s+', 0),
    ]);
    expect(suback.reasonCodes).toEqual([0, 0x8f, 2, 1, 0x8f]);
    // The valid ones are in force.
    const publisher = await w.raw();
    await publish(publisher, 's/q1', 'm', { qos: 2 });
    expect((await c.next('publish')).qos).toBe(1);
  });

  test('subscribe - [MQTT-3.8.4-4 (3.1.1)] [MQTT-3.8.4-5 (3.1.1)] [MQTT-3.9.3-1 (3.1.1)] [MQTT-3.9.3-2 (3.1.1)] on 3.1.1 an invalid filter gets 0x80 and the others are granted', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    const suback = await subscribe(c, [sub('s/ok', 1), sub('s/#/bad', 1), sub('s/ok2', 2)]);
    expect(suback.reasonCodes).toEqual([1, 0x80, 2]);
  });

  test.each([
    ['a/#/b', '[MQTT-4.7.1-1] # not last'],
    ['a/b#', '[MQTT-4.7.1-1] # not alone in its level'],
    ['#/', '[MQTT-4.7.1-1] # followed by a level'],
    ['a+', '[MQTT-4.7.1-2] + not alone in its level'],
    ['a/+b/c', '[MQTT-4.7.1-2] + not alone in its level'],
    ['+a', '[MQTT-4.7.1-2] + not alone in its level'],
    ['', '[MQTT-4.7.3-1] empty filter'],
    ['$share//a', '[MQTT-4.8.2-1] empty share name'],
    ['$share/g', '[MQTT-4.8.2-2] share name not followed by /'],
    ['$share/g/', '[MQTT-4.8.2-2] no filter after the share name'],
    ['$share/g+/a', '[MQTT-4.8.2-2] + in the share name'],
    ['$share/g#/a', '[MQTT-4.8.2-2] # in the share name'],
  ])('subscribe - invalid filter %j (%s) gets 0x8F and the connection stays up', async (filter) => {
    const w = await start();
    const c = await w.raw();
    expect((await subscribe(c, sub(filter, 1))).reasonCodes).toEqual([0x8f]);
    await ping(c);
  });

  test.each(['#', '+', '+/+', 'a/+/c', 'a/#', '/', '//', '/+', '+/', 'a//b', '$share/g/#', '$SYS/#'])(
    'subscribe - [MQTT-4.7.1-1] [MQTT-4.7.1-2] valid filter %j is granted',
    async (filter) => {
      const w = await start();
      const c = await w.raw();
      expect((await subscribe(c, sub(filter, 1))).reasonCodes).toEqual([1]);
    },
  );

  test('subscribe - [MQTT-3.2.2-10] [MQTT-3.8.4-8] a broker without QoS 2 accepts QoS 2 subscriptions and grants its maximum', async () => {
    const w = await start({ limits: { maxQoS: 1 } });
    const c = await w.raw();
    expect((await subscribe(c, [sub('s/0', 0), sub('s/1', 1), sub('s/2', 2)])).reasonCodes).toEqual([0, 1, 1]);
  });

  test('subscribe - [§3.9.3] features the broker lacks get 0xA2 (wildcards) and 0x9E (shared subscriptions) per filter', async () => {
    const w = await start({ limits: { wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false } });
    const c = await w.raw();
    expect(
      (await subscribe(c, [sub('s/+', 1), sub('s/plain', 1), sub('$share/g/s/plain', 1), sub('s/#', 0)])).reasonCodes,
    ).toEqual([0xa2, 1, 0x9e, 0xa2]);
  });

  test('subscribe - [MQTT-3.8.3-2 (3.1.1)] a broker without wildcard subscriptions refuses every 3.1.1 filter that has a wildcard, and delivers nothing for it', async () => {
    const w = await start({ limits: { wildcardSubscriptionAvailable: false } });
    const c = await w.raw({ protocolVersion: 4 });
    const suback = await subscribe(c, [sub('w/+', 1), sub('w/#', 1), sub('#', 1), sub('+/x', 1), sub('w/x', 1)]);
    expect(suback.reasonCodes).toEqual([0x80, 0x80, 0x80, 0x80, 1]);
    const publisher = await w.raw({ protocolVersion: 4 });
    await publish(publisher, 'w/y', 'wildcard only', { qos: 1 });
    await publish(publisher, 'w/x', 'exact', { qos: 1 });
    const p = await c.next('publish');
    expect(p.payload.toString()).toBe('exact');
    await ack(c, p);
    await expectNoPublish(c);
  });

  test('subscribe - [§3.9.3] a filter refused by authorisation gets 0x87 (MQTT 5) and 0x80 (3.1.1)', async () => {
    const w = await start({ hooks: { authorizeSubscribe: (_client, filter) => !filter.startsWith('secret') } });
    const v5 = await w.raw();
    expect((await subscribe(v5, [sub('secret/x', 1), sub('open/x', 1)])).reasonCodes).toEqual([0x87, 1]);
    const v4 = await w.raw({ protocolVersion: 4 });
    expect((await subscribe(v4, [sub('secret/x', 1), sub('open/x', 1)])).reasonCodes).toEqual([0x80, 1]);
    await publish(await w.raw(), 'secret/x', 'hidden', { qos: 1 });
    await expectNoPublish(v5);
  });

  test('subscribe - [§3.9.3] beyond the subscriptions a session may hold, further filters get 0x97 (quota exceeded)', async () => {
    const w = await start({ limits: { maxSubscriptionsPerSession: 2 } });
    const c = await w.raw();
    expect((await subscribe(c, [sub('s/1', 0), sub('s/2', 0), sub('s/3', 0)])).reasonCodes).toEqual([0, 0, 0x97]);
    // Replacing an existing subscription does not count against the quota.
    expect((await subscribe(c, sub('s/1', 1))).reasonCodes).toEqual([1]);
  });

  test.each([4, 5] as const)(
    'subscribe - [MQTT-3.8.4-1] MQTT.js subscribes at level %i and is granted the requested QoS',
    async (protocolVersion) => {
      const w = await start();
      const client = await w.lib({ protocolVersion });
      const granted = await client.subscribeAsync({ 's/lib/0': { qos: 0 }, 's/lib/2': { qos: 2 } });
      expect(granted.map((g) => [g.topic, g.qos])).toEqual([
        ['s/lib/0', 0],
        ['s/lib/2', 2],
      ]);
    },
  );
});

describe('subscription semantics', () => {
  test('subscribe - [MQTT-3.8.4-3] a SUBSCRIBE with an existing filter replaces the subscription: new QoS, one copy of each message', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('s/replace', 0));
    await subscribe(c, sub('s/replace', 2));
    await publish(await w.raw(), 's/replace', 'm', { qos: 2 });
    const p = await c.next('publish');
    expect(p.qos).toBe(2);
    await ack(c, p);
    await expectNoPublish(c);
  });

  test('subscribe - [MQTT-3.8.4-3] [MQTT-3.3.4-3] replacing a subscription replaces its Subscription Identifier', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('s/id', 0), { subscriptionIdentifiers: [1] });
    await subscribe(c, sub('s/id', 0), { subscriptionIdentifiers: [2] });
    await publish(await w.raw(), 's/id', 'a');
    expect((await c.next('publish')).properties?.subscriptionIdentifiers).toEqual([2]);
    await subscribe(c, sub('s/id', 0));
    await publish(await w.raw(), 's/id', 'b');
    expect((await c.next('publish')).properties?.subscriptionIdentifiers).toBeUndefined();
  });

  test("subscribe - [MQTT-3.8.3-3] with No Local the client does not receive its own messages, but others' messages", async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, [sub('s/nl/#', 1, { noLocal: true }), sub('s/marker', 1)]);
    await publish(c, 's/nl/a', 'own', { qos: 1 });
    await publish(c, 's/marker', 'own-marker', { qos: 1 });
    const marker = await c.next('publish');
    expect(marker.payload.toString()).toBe('own-marker');
    await ack(c, marker);
    await publish(await w.raw(), 's/nl/a', 'other', { qos: 1 });
    expect((await c.next('publish')).payload.toString()).toBe('other');
  });

  test('subscribe - [MQTT-3.8.3-3] without No Local a client receives its own messages', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('s/echo', 1));
    await publish(c, 's/echo', 'own', { qos: 1 });
    expect((await c.next('publish')).payload.toString()).toBe('own');
  });

  test('subscribe - [MQTT-3.3.4-3] messages carry the Subscription Identifier of the matching subscription', async () => {
    const w = await start();
    const c = await w.raw();
    await subscribe(c, sub('s/sid/a', 1), { subscriptionIdentifiers: [268_435_455] });
    await subscribe(c, sub('s/sid/b', 1));
    const publisher = await w.raw();
    await publish(publisher, 's/sid/a', 'a', { qos: 1 });
    await publish(publisher, 's/sid/b', 'b', { qos: 1 });
    const [a, b] = await publishes(c, 2);
    expect(a!.properties?.subscriptionIdentifiers).toEqual([268_435_455]);
    expect(b!.properties?.subscriptionIdentifiers).toBeUndefined();
  });
});

describe('bad SUBSCRIBE packets', () => {
  const body = (options: number, filter = 's/a') => [Buffer.from([0, 1, 0]), strBytes(filter), Buffer.from([options])];

  test('subscribe - [MQTT-3.8.3-5] reserved bits in the subscription options are malformed: DISCONNECT 0x81', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x82, ...body(0xc1)));
    await expectDisconnect(c, 0x81);
    await expectServing(w);
  });

  test.each([
    ['maximum QoS 3', 0x03],
    ['Retain Handling 3', 0x31],
  ])(
    'subscribe - [§3.8.3.1] %s in the subscription options is a protocol error: DISCONNECT 0x82',
    async (_name, options) => {
      const w = await start();
      const c = await w.raw();
      c.sendBytes(frame(0x82, ...body(options)));
      await expectDisconnect(c, [0x81, 0x82]);
    },
  );

  test.each([
    ['reserved bits', 0x05],
    ['QoS 3', 0x03],
  ])('subscribe - [MQTT-3.8.3-4 (3.1.1)] %s in a 3.1.1 requested QoS close the connection', async (_name, options) => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(frame(0x82, Buffer.from([0, 1]), strBytes('s/a'), Buffer.from([options])));
    await expectClosedSilently(c);
  });

  test.each([
    ['0x80', 0x80],
    ['0x83', 0x83],
    ['0x8A', 0x8a],
  ])(
    'subscribe - [MQTT-3.8.1-1] [MQTT-2.1.3-1] SUBSCRIBE fixed header byte %s is malformed: DISCONNECT 0x81',
    async (_hex, first) => {
      const w = await start();
      const c = await w.raw();
      c.sendBytes(frame(first, ...body(0x01)));
      await expectDisconnect(c, 0x81);
    },
  );

  test('subscribe - [MQTT-2.2.2-1 (3.1.1)] [MQTT-2.2.2-2 (3.1.1)] wrong SUBSCRIBE fixed header flags close a 3.1.1 connection', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(frame(0x80, Buffer.from([0, 1]), strBytes('s/a'), Buffer.from([1])));
    await expectClosedSilently(c);
  });

  test('subscribe - [MQTT-3.8.3-2] a SUBSCRIBE without any filter is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x82, Buffer.from([0, 1, 0])));
    await expectDisconnect(c, [0x81, 0x82]);
  });

  test('subscribe - [MQTT-3.8.3-3 (3.1.1)] a 3.1.1 SUBSCRIBE without any filter closes the connection', async () => {
    const w = await start();
    const c = await w.raw({ protocolVersion: 4 });
    c.sendBytes(frame(0x82, Buffer.from([0, 1])));
    await expectClosedSilently(c);
  });

  test('subscribe - [MQTT-3.8.3-1] [MQTT-1.5.4-1] a topic filter that is not valid UTF-8 is malformed: DISCONNECT 0x81', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(
      frame(0x82, Buffer.from([0, 1, 0]), strBytes(Buffer.from([0x73, 0x2f, 0xed, 0xa0, 0x80])), Buffer.from([1])),
    );
    await expectDisconnect(c, 0x81);
  });

  test('subscribe - [MQTT-2.2.1-3] a SUBSCRIBE with packet identifier 0 is refused: DISCONNECT', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x82, Buffer.from([0, 0, 0]), strBytes('s/a'), Buffer.from([1])));
    await expectDisconnect(c, [0x81, 0x82]);
  });

  test('subscribe - [§3.8.2.1.2] a Subscription Identifier of 0 is a protocol error: DISCONNECT 0x82', async () => {
    const w = await start();
    const c = await w.raw();
    c.sendBytes(frame(0x82, Buffer.from([0, 1, 2, 0x0b, 0]), strBytes('s/a'), Buffer.from([1])));
    await expectDisconnect(c, 0x82);
  });

  test('subscribe - [§3.2.2.3.12] a Subscription Identifier when the broker has none available: DISCONNECT 0xA1', async () => {
    const w = await start({ limits: { subscriptionIdentifiersAvailable: false } });
    const c = await w.raw();
    c.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [sub('s/a', 1)],
      properties: { subscriptionIdentifiers: [5] },
    });
    await expectDisconnect(c, 0xa1);
  });
});
